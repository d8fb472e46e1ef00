"""``crmgen init`` (a new project) and ``crmgen new`` (a new client file)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from crmgen.cli.app import main, pass_state
from crmgen.format.model import GRADES, STAGES
from crmgen.gitops import commit_file, ensure_repository
from crmgen.i18n import LANGUAGES
from crmgen.scaffold import init_project, new_client


@main.command("init")
@click.argument("directory", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@click.option("--ci", "ci_platform", type=click.Choice(["github", "gitlab"]),
              help="Also write the CI gate: check, build and publish the site (see 'crmgen ci --help').")
@click.option("--language", type=click.Choice(sorted(LANGUAGES)), default="en", show_default=True,
              help="The language of the site and of what crmgen prints (zh: Chinese); theme.language in mkdocs.yml.")
def init_command(directory: Path, ci_platform: str | None, language: str) -> None:
    """Create a new crmgen project in DIR (new or empty).

    DIR gets clients/ with one example client, templates/, mkdocs.yml, a
    .gitignore and a .gitattributes (visits logged on two branches merge
    cleanly), and becomes a git repository when git is installed. check, due
    and build work in it at once. With --ci, the CI configuration too.
    """
    from crmgen.teams import write_ci

    result = init_project(directory, dt.date.today(), language=language)
    files = list(result.files)
    if ci_platform:
        for path in write_ci(result.root, ci_platform):
            rel = path.relative_to(result.root).as_posix()
            if rel not in files:
                files.append(rel)
    click.echo(f"created a crmgen project in {result.root}:")
    for rel in sorted(files):
        click.echo(f"  {rel}")
    if result.git is None:
        click.echo("  (and a git repository)")
    else:
        click.echo(f"  (no git repository: {result.git})")
    click.echo(f"next: cd {directory} && crmgen check && crmgen due && crmgen build")


@main.command("new")
@click.argument("name")
@click.option("--slug", help="The file name (without .md); default: made from NAME (Chinese becomes pinyin).")
@click.option("--grade", type=click.Choice(GRADES), help="The grade, A to F (default: C).")
@click.option("--owner", help="The salesperson who owns the client.")
@click.option("--stage", type=click.Choice(STAGES), help="prospect (default), customer, dormant or lost.")
@click.option("--commit", is_flag=True, help="Also git-commit the new file (only that file).")
@pass_state
def new_command(state: Any, name: str, slug: str | None, grade: str | None, owner: str | None,
                stage: str | None, commit: bool) -> None:
    """Create clients/SLUG.md for a new client called NAME.

    The file comes from templates/new-client.md.j2 (or crmgen's built-in one).
    The slug is made from the name (华东润滑油 -> huadong-runhuayou) unless
    --slug is given. An existing file is never overwritten: crmgen suggests a
    free slug instead.
    """
    project = state.project
    if commit:
        ensure_repository(project.root)
    made = new_client(project, name, dt.date.today(), slug=slug, grade=grade, owner=owner, stage=stage)
    click.echo(f"created {made.rel_path}")
    if commit:
        message = f"new: {made.slug}"
        sha = commit_file(project.root, made.path, message)
        click.echo(f"committed {sha}: {message}")
