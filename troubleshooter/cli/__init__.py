"""The command line (shared/spec/cli.md): one module per command, the options they share in `options`."""

from __future__ import annotations

import sys

import click

from troubleshooter.cli import check, diagnose, fix, graph, mcp, sandbox, schema, train, tui
from troubleshooter.errors import BadInput, CloudUnreachable

cli = tui.cli
for command in (tui.demo, train.train, diagnose.diagnose, fix.fix, graph.graph, sandbox.sandbox,
                schema.schema, check.check, mcp.mcp):
    cli.add_command(command)


def main() -> None:
    """The console script: exit codes and one-line errors as the spec says, never a traceback."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if exc.exit_code in (1, 2) else exc.exit_code)
    except BadInput as exc:
        click.echo(f"troubleshooter: error: {exc}", err=True)
        sys.exit(2)
    except CloudUnreachable as exc:
        click.echo(f"troubleshooter: cannot reach Google Cloud: {exc}", err=True)
        sys.exit(3)
    except KeyboardInterrupt:
        sys.exit(130)
    except SystemExit:
        raise
    else:
        sys.exit(0)


__all__ = ["cli", "main"]
