"""`troubleshooter train [SCENARIO]`: a built-in incident without its answer; the learner runs checks,
names the causes, and reads a debrief. `--list` shows the scenarios and this machine's progress."""

from __future__ import annotations

import click


@click.command()
@click.argument("scenario", required=False)
@click.option("--list", "list_", is_flag=True, help="List the scenarios with your progress on each.")
def train(scenario: str | None, list_: bool) -> None:
    """Training (TUI): the incident as the operator met it; you choose the checks and name the cause.

    Progress stays on this machine (the platform's user data directory; set
    TROUBLESHOOTER_DATA_DIR to keep it elsewhere). Nothing is sent anywhere.
    """
    from troubleshooter.scenarios import list_scenarios, scenario_path
    from troubleshooter.training import Progress

    if list_:
        progress = Progress()
        for info in list_scenarios():
            record = progress.records.get(info.name)
            if record is None or not record.tries:
                state = "not tried"
            else:
                tries = f"{record.tries} tr{'ies' if record.tries != 1 else 'y'}"
                state = ("solved first try" if record.first_try else "solved" if record.solved
                         else "not solved yet") + f" · {tries}"
            click.echo(f"{info.name:32} {state:30} {info.title}")
        click.echo(f"\n{progress.summary()}  ({progress.path})")
        return
    if scenario is not None:
        scenario_path(scenario)  # unknown names fail here with the list of valid ones
    from troubleshooter.cli.tui import run_tui
    from troubleshooter.tui.launch import Launch

    run_tui(Launch(scenario=scenario, train=True))
