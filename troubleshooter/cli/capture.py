"""`troubleshooter capture TARGET -o FILE`: the live target as a world file that `--world FILE` replays."""

from __future__ import annotations

import os
from pathlib import Path

import click

from troubleshooter.cli.options import TargetFlags, target_options
from troubleshooter.errors import BadInput


@click.command()
@target_options
@click.option("--output", "-o", "output", required=True, type=click.Path(dir_okay=False),
              help="The world file to write (.yaml/.yml as YAML, anything else as JSON).")
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@click.option("--log-window", type=click.IntRange(1, 30 * 24 * 60), default=None,
              help="Minutes of recent logs to capture (default: what diagnose reads, 60 for services, 1440 for jobs).")
def capture(target: TargetFlags, output: str, force: bool, log_window: int | None) -> None:
    """Write the target (service or job, revisions, instances, IAM, enabled APIs, databases,
    users, the log window) as a world file, with passwords and tokens replaced by stand-ins and
    no secret payload read. Exit 0 written, 2 bad input (existing file without --force,
    unwritable path, unknown target), 3 Google Cloud unreachable."""
    from troubleshooter.engine.capture import capture as capture_target
    from troubleshooter.engine.workspace import Workspace
    from troubleshooter.world import world_from_data

    path = Path(output)
    if path.exists() and not force:
        raise BadInput(f"--output {output!r}: file exists (add --force to overwrite it)")
    if not path.resolve().parent.is_dir():
        raise BadInput(f"--output {output!r}: no such directory {str(path.parent)!r}")
    with Workspace.open(target.world, env=os.environ) as workspace:
        t = workspace.target(target.project, target.region, target.service, target.job)
        data = capture_target(workspace.gateway, t, log_window_minutes=log_window)
    # Written through the world model: what is written is what `--world FILE` loads.
    world = world_from_data(data, f"<capture of {t.name}>")
    world.dump(path)
    counts = ", ".join(f"{len(v)} {k}" for k, v in data.items()
                       if isinstance(v, (list, dict)) and k not in ("target", "faults") and v)
    click.echo(f"wrote {output}: {counts}", err=True)
