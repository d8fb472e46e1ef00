"""``crmgen deal`` (a new opportunity) and ``crmgen move`` (an opportunity to another stage): safe edits."""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Any

import click

from crmgen.cli.app import main, pass_state
from crmgen.cli.complete import client_slugs
from crmgen.cli.edit import AMOUNT, DATE, _check_commit, _finish, client_file, commit_option
from crmgen.edit import edit_client_file
from crmgen.format.money import money


class ShareType(click.ParamType):
    """A chance: 60%, 60 or 0.6."""

    name = "share"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        text = str(value).strip().rstrip("%")
        try:
            number = float(text)
        except ValueError:
            self.fail(f"'{value}' is not a chance; write 60% (or 0.6)", param, ctx)
        share = number / 100 if str(value).strip().endswith("%") or number > 1 else number
        if not 0 <= share <= 1:
            self.fail(f"'{value}' is not between 0% and 100%", param, ctx)
        return share


def _stage(project: Any, stage: str | None) -> str | None:
    """A stage the team has (``opportunity_stages``, won, lost), else a usage error with a did-you-mean."""
    if stage is None:
        return None
    allowed = [*project.settings.opportunity_stages, "won", "lost"]
    if stage in allowed:
        return stage
    near = difflib.get_close_matches(stage, allowed, n=1)
    hint = f" (did you mean '{near[0]}'?)" if near else ""
    raise click.BadParameter(f"'{stage}' is not one of the team's stages: {', '.join(allowed)}{hint}",
                             param_hint="STAGE")


@main.command("deal")
@click.argument("slug", shell_complete=client_slugs)
@click.argument("what", nargs=-1, required=True)
@click.option("--amount", type=AMOUNT, metavar="N", help="What it is worth if won (600000, 60万, ¥600,000).")
@click.option("--stage", metavar="STAGE", help="Its stage (default: the team's first, lead).")
@click.option("--probability", type=ShareType(), metavar="P", help="The chance of winning it (default: the stage's).")
@click.option("--expected", type=DATE, help="The day it should be decided (+1m, 2027-01-31...).")
@click.option("--competitor", metavar="WHO", help="Who else is bidding.")
@click.option("--next", "next_step", metavar="WHAT", help="What we do next.")
@click.option("--date", "when", type=DATE, help="The day it was found (default: today).")
@click.option("--id", "opp_id", metavar="ID", help="A short name for it (default: opp-N).")
@commit_option
@pass_state
def deal_command(state: Any, slug: str, what: tuple[str, ...], amount: float | None, stage: str | None,
                 probability: float | None, expected: dt.date | None, competitor: str | None,
                 next_step: str | None, when: dt.date | None, opp_id: str | None, commit: bool) -> None:
    """Record an opportunity (a deal that may come) in the client's 'opportunities:' list.

    It gets an 'id:' (--id, else opp-N) that 'crmgen move' names it by.

    \b
    Examples:
      crmgen deal huadong-runhuayou 2027 年度液压油框架合同 --amount 120万 --expected 2026-12-31
      crmgen deal kingsway "Spring promotion" --amount 60000 --stage proposal --commit
    """
    from crmgen.edit_opportunities import add

    project = state.project
    stage = _stage(project, stage)
    day = when or dt.date.today()
    path, rel, slug = client_file(project, slug)
    _check_commit(state, commit)
    text_what = " ".join(what)
    written, new_id = edit_client_file(
        path, rel,
        lambda text: add(text, text_what, amount=amount, stage=stage, probability=probability, expected=expected,
                         opened=day, competitor=competitor, next_step=next_step, opp_id=opp_id),
        root=project.root,
    )
    worth = f" worth {money(amount, project.settings.currency)}" if amount is not None else ""
    _finish(state, path, rel, written, f"added opportunity {new_id}{worth}", f"deal: {slug} {new_id} {text_what}",
            commit)


@main.command("move")
@click.argument("slug", shell_complete=client_slugs)
@click.argument("opportunity", metavar="OPPORTUNITY")
@click.argument("stage", metavar="STAGE")
@click.option("--reason", "lost_reason", metavar="WHY", help="Why it was lost (needed to move it to lost).")
@click.option("--order", metavar="ORDER", help="The id of the order it became (when won).")
@click.option("--next", "next_step", metavar="WHAT", help="What we do next.")
@click.option("--date", "when", type=DATE, help="The day it moved (default: today).")
@commit_option
@pass_state
def move_command(state: Any, slug: str, opportunity: str, stage: str, lost_reason: str | None, order: str | None,
                 next_step: str | None, when: dt.date | None, commit: bool) -> None:
    """Move OPPORTUNITY (its id, its number #2, or a word only its 'what' has) to STAGE:
    one of the team's stages, won or lost. Its 'since:' becomes the day, so the
    stale reminder counts from there.

    \b
    Examples:
      crmgen move huadong-runhuayou hyd-2027 negotiation --next "12 月 10 日前交修订报价"
      crmgen move huadong-runhuayou hyd-2027 won --order 2027-01-A --commit
      crmgen move harrison-hardware 2 lost --reason "price: a local distributor bundled delivery"
    """
    from crmgen.edit_opportunities import move

    project = state.project
    checked = _stage(project, stage)
    assert checked is not None
    day = when or dt.date.today()
    path, rel, slug = client_file(project, slug)
    _check_commit(state, commit)
    written, (name, old) = edit_client_file(
        path, rel,
        lambda text: move(text, opportunity, checked, when=day, lost_reason=lost_reason, order=order,
                          next_step=next_step),
        root=project.root,
    )
    _finish(state, path, rel, written, f"moved opportunity {name} from {old or 'the first stage'} to {checked}",
            f"move: {slug} {name} {checked}", commit)
