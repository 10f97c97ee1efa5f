"""`troubleshooter [TARGET]` and `troubleshooter demo [SCENARIO]`: the guided troubleshooter (TUI)."""

from __future__ import annotations

import click

from troubleshooter.cli.options import TargetFlags, target_options
from troubleshooter.errors import BadInput
from troubleshooter.tui.launch import Launch


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@target_options
@click.option("--read-only", is_flag=True, help="Never change anything (hides every apply action).")
@click.option("--scan", "scan_first", is_flag=True,
              help="Start from the fleet: every service and job of the project (--region or --all-regions), "
                   "--folder or --organization, one verdict each; enter opens one target's walk.")
@click.option("--folder", metavar="NUMBER", help="With --scan: every project under this folder.")
@click.option("--organization", metavar="NUMBER", help="With --scan: every project of this organization.")
@click.option("--all-regions", is_flag=True, help="With --scan: every region.")
@click.option("--read-secrets", is_flag=True,
              help="Read the Secret Manager values the app's env names without asking (never shown).")
@click.version_option(package_name="troubleshooter")
@click.pass_context
def cli(ctx: click.Context, target: TargetFlags, read_only: bool, scan_first: bool, folder: str | None,
        organization: str | None, all_regions: bool, read_secrets: bool) -> None:
    """Find why a Cloud Run service or job cannot reach its Cloud SQL database, and fix it.

    Without a command: the guided troubleshooter (TUI); with --scan, the fleet screen first.
    """
    if ctx.invoked_subcommand is not None:
        return
    if (folder or organization or all_regions) and not scan_first:
        raise BadInput("--folder, --organization and --all-regions go with --scan")
    if scan_first:
        from troubleshooter.engine.fleet import resolve_scope

        if target.service or target.job:
            raise BadInput("--scan looks at every service and job: drop --service/--job")
        if target.world is None:  # bad scope flags fail before the TUI starts
            resolve_scope(target.project, folder, organization, target.region, all_regions)
    run_tui(Launch(project=target.project, region=target.region, service=target.service, job=target.job,
                   world=target.world, read_only=read_only, scan=scan_first, folder=folder,
                   organization=organization, all_regions=all_regions, read_secrets=read_secrets))


@click.command()
@click.argument("scenario", required=False)
@click.option("--list", "list_", is_flag=True, help="List the built-in scenarios.")
@click.option("--read-only", is_flag=True, help="Hide every apply action.")
def demo(scenario: str | None, list_: bool, read_only: bool) -> None:
    """The TUI on a built-in scenario served by the sandbox: no account needed."""
    from troubleshooter.scenarios import list_scenarios, scenario_path

    if list_:
        for info in list_scenarios():
            click.echo(f"{info.name:32} {info.title}")
        return
    if scenario is not None:
        scenario_path(scenario)  # unknown names fail here with the list of valid ones
    run_tui(Launch(scenario=scenario, read_only=read_only, demo=True))


def run_tui(launch: Launch) -> None:
    """Run the app until the operator quits (Textual is imported only now: batch commands never load it)."""
    if launch.service and launch.job:
        raise BadInput("--service and --job are exclusive: troubleshoot one at a time")
    from troubleshooter.tui.app import TroubleshooterApp

    TroubleshooterApp(launch).run()
