"""The command line (shared/spec/cli.md): one module per command, the options they share in `options`."""

from __future__ import annotations

import os
import sys

import click

from troubleshooter.cli import capture, check, compare, diagnose, fix, graph, mcp, sandbox, scan, schema, train, tui
from troubleshooter.errors import BadInput, CloudUnreachable

cli = tui.cli
for command in (tui.demo, train.train, diagnose.diagnose, fix.fix, graph.graph, sandbox.sandbox,
                schema.schema, check.check, mcp.mcp, scan.scan, compare.compare, capture.capture):
    cli.add_command(command)


def main() -> None:
    """The console script: exit codes and one-line errors as the spec says, never a traceback."""
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")  # no GOAWAY lines from gRPC's core on stderr
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if exc.exit_code in (1, 2) else exc.exit_code)
    except BadInput as exc:
        click.echo(f"troubleshooter: error: {escaped(str(exc))}", err=True)
        sys.exit(2)
    except CloudUnreachable as exc:
        click.echo(f"troubleshooter: cannot reach Google Cloud: {escaped(str(exc))}", err=True)
        sys.exit(3)
    except KeyboardInterrupt:
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the last guard: one line, never a traceback, never exit 1
        code, line = unexpected(exc)
        click.echo(line, err=True)
        sys.exit(code)
    else:
        sys.exit(0)


# Errors that come from reaching Google Cloud (or the sandbox) rather than from what was typed.
_CLOUD_MODULES = ("google.", "grpc", "requests", "urllib3", "http.client", "ssl", "socket")


def escaped(text: str) -> str:
    """One line with every control character shown escaped (a raw \\r would rewrite the line)."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text.strip())


def unexpected(exc: BaseException) -> tuple[int, str]:
    """An error nothing else caught as (exit code, one line): 3 when it came from reaching the
    cloud (a Google/gRPC/transport error, a connection failure), else 2: bad input that got
    further than validation (too deep, too large, a value out of range)."""
    from troubleshooter.failures import ApiFailure
    from troubleshooter.redact import redact

    module = type(exc).__module__ or ""
    cloud = isinstance(exc, (ApiFailure, ConnectionError, TimeoutError)) or module.startswith(_CLOUD_MODULES)
    if isinstance(exc, RecursionError):
        what = "input nested too deeply"
    elif isinstance(exc, MemoryError):
        what = "input too large"
    else:
        what = f"{type(exc).__name__}: {exc}"
    text = escaped(redact(str(what)))[:300]
    if cloud:
        return 3, f"troubleshooter: cannot reach Google Cloud: {text}"
    return 2, f"troubleshooter: error: {text}"


__all__ = ["cli", "main"]
