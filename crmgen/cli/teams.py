"""``crmgen ci``: the CI gate for a team's repository."""

from __future__ import annotations

import click

from crmgen.cli.app import main, pass_state
from crmgen.teams import DEFAULT_PIP_SPEC, PLATFORMS, write_ci


@main.command("ci")
@click.argument("platform", type=click.Choice(sorted(PLATFORMS)))
@click.option("--pip", "pip_spec", default=DEFAULT_PIP_SPEC, show_default=True, metavar="SPEC",
              help="What CI installs crmgen from: a package name, a git URL or a wheel path.")
@click.option("--force", is_flag=True, help="Replace an existing CI file.")
@pass_state
def ci(state, platform: str, pip_spec: str, force: bool) -> None:
    """Add the CI gate to an existing project: check, build, publish, daily rebuild.

    Writes .github/workflows/crm.yml (github) or .gitlab-ci.yml (gitlab), and adds
    'clients/*.md merge=union' to .gitattributes so two visits logged to the same
    client on two branches merge without a conflict.
    """
    root = state.project.root
    for path in write_ci(root, platform, pip_spec, force=force):
        click.echo(f"wrote {path.relative_to(root).as_posix()}")
