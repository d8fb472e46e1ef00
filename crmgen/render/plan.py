"""The week's plan (:mod:`crmgen.rules.plan`) as plain text, Markdown or JSON, and the view data of its site
pages (``plans/``): one source of every sentence for the command and the pages. Pure; in the active language."""

from __future__ import annotations

import datetime as dt
import json

from crmgen.format.money import money
from crmgen.i18n import N_, _, label, ngettext, pgettext
from crmgen.rules.plan import Brief, Done, Visit, WeekPlan, as_mapping

WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


def day_name(day: dt.date) -> str:
    return _("%(weekday)s %(date)s") % {"weekday": _(WEEKDAYS[day.weekday()]), "date": day.isoformat()}


def heading(plan: WeekPlan) -> str:
    who = _(" for %(owner)s") % {"owner": plan.owner} if plan.owner else ""
    return _("The week's plan%(who)s: %(start)s to %(end)s") % {
        "who": who, "start": plan.monday.isoformat(), "end": plan.sunday.isoformat()}


def region_name(name: str | None) -> str:
    """A region's heading: its name, or the words for the clients without one."""
    return name or _("(no region)")


def counts(plan: WeekPlan) -> str:
    clients = ngettext("%(n)d client", "%(n)d clients", plan.visits) % {"n": plan.visits}
    items = ngettext("%(n)d reminder", "%(n)d reminders", plan.reminders) % {"n": plan.reminders}
    return _("%(clients)s, %(reminders)s") % {"clients": clients, "reminders": items}


def brief_lines(b: Brief, currency: str) -> list[str]:
    """One line per part of the brief that has something to say."""
    out: list[str] = []
    if b.orders:
        parts = [_("%(date)s %(amount)s (%(items)s)") % {"date": o.date, "amount": money(o.amount, currency),
                                                          "items": o.items}
                 if o.items else f"{o.date} {money(o.amount, currency)}" for o in b.orders]
        out.append(_("Last orders: %(orders)s") % {"orders": pgettext("list separator", "; ").join(parts)})
    if b.owed:
        late = _(" (%(late)s past due)") % {"late": money(b.owed_late, currency)} if b.owed_late else ""
        out.append(_("Owed: %(owed)s%(late)s") % {"owed": money(b.owed, currency), "late": late})
    for p in b.ours:
        out.append(_("Our promise: %(what)s, due %(due)s") % {"what": p.what, "due": p.due})
    for p in b.theirs:
        amount = _(" (%(amount)s)") % {"amount": money(p.amount, currency)} if p.amount is not None else ""
        out.append(_("Their promise: %(what)s%(amount)s, due %(due)s") % {"what": p.what, "amount": amount,
                                                                          "due": p.due})
    for c, n, due in b.complaints:
        out.append(_("Open complaint: %(what)s (step %(n)d of 6, %(step)s%(due)s)") % {
            "what": c.what, "n": n, "step": label("step", c.step),
            "due": _(", due %(day)s") % {"day": due} if due is not None else ""})
    for p, s in b.rebates:
        name = p.name or _("rebate")
        if s.next is not None:
            out.append(_("%(name)s: %(counted)s counted, %(missing)s short of the next tier (%(over)s)") % {
                "name": name, "counted": money(s.total, currency), "missing": money(s.missing, currency),
                "over": money(s.next.over, currency)})
        else:
            out.append(_("%(name)s: %(counted)s counted, the top tier reached") % {
                "name": name, "counted": money(s.total, currency)})
    for who, day in b.birthdays:
        out.append(_("Birthday: %(contact)s on %(day)s") % {"contact": who, "day": day})
    for o, stage in b.opportunities:
        amount = f" {money(o.amount, currency)}" if o.amount is not None else ""
        expected = _(", expected %(day)s") % {"day": o.expected} if o.expected is not None else ""
        out.append(_("Opportunity: %(what)s%(amount)s (%(stage)s%(expected)s)") % {
            "what": o.what, "amount": amount, "stage": label("opportunity", stage), "expected": expected})
    if b.last is not None:
        out.append(_("Last contact: %(date)s %(type)s: %(summary)s") % {
            "date": b.last.date, "type": label("interaction", b.last.type), "summary": b.last.summary})
    if b.next_step is not None:
        i = b.next_step
        when = _(" on %(day)s") % {"day": i.next_date} if i.next_date is not None else ""
        out.append(_("Next step%(when)s: %(what)s (from %(from)s)") % {
            "when": when, "what": i.next_what or "", "from": i.date})
    return out


def _client_line(v: Visit) -> str:
    c = v.client
    extra = " · ".join(x for x in (c.phone, c.address) if x)
    return f"{c.name} ({c.slug})" + (f" · {extra}" if extra else "")


def done_lines(done: list[Done]) -> list[str]:
    """One sentence per owner: the clients due a contact that were contacted, and the others contacted."""
    out = []
    for d in done:
        who = d.owner or _("(no owner)")
        out.append(_("%(owner)s: %(done)d of %(planned)d clients due a contact were contacted; %(other)d more "
                     "contacted") % {"owner": who, "done": len(d.planned_and_contacted), "planned": len(d.planned),
                                     "other": len(set(d.contacted) - set(d.planned))})
    return out


def as_text(plan: WeekPlan, currency: str = "¥") -> str:
    lines = [heading(plan), counts(plan), ""]
    if not plan.regions:
        lines += [_("Nothing due this week."), ""]
    for region in plan.regions:
        lines.append(region_name(region.name))
        for day, visits in region.days:
            lines.append(f"  {day_name(day)}")
            for v in visits:
                lines.append(f"    {_client_line(v)}")
                lines += [f"      - {r.title}" for r in v.reminders]
                lines += [f"        {line}" for line in brief_lines(v.brief, currency)]
        lines.append("")
    lines.append(_("Plan against done"))
    lines += [f"  {line}" for line in done_lines(plan.done)] or [f"  {_('nothing planned, nothing logged')}"]
    return "\n".join(lines) + "\n"


def _md(text: object) -> str:
    """User text in a Markdown list: the characters Markdown would act on, escaped."""
    out = str(text)
    for ch in "\\`*_[]<>#|":
        out = out.replace(ch, "\\" + ch)
    return out


def as_markdown(plan: WeekPlan, currency: str = "¥") -> str:
    lines = [f"# {_md(heading(plan))}", "", counts(plan), ""]
    if not plan.regions:
        lines += [_("Nothing due this week."), ""]
    for region in plan.regions:
        lines += [f"## {_md(region_name(region.name))}", ""]
        for day, visits in region.days:
            lines += [f"### {day_name(day)}", ""]
            for v in visits:
                lines.append(f"- **{_md(_client_line(v))}**")
                lines += [f"    - {_md(r.title)}" for r in v.reminders]
                lines += [f"    - *{_md(line)}*" for line in brief_lines(v.brief, currency)]
            lines.append("")
    lines += [f"## {_('Plan against done')}", ""]
    lines += [f"- {_md(line)}" for line in done_lines(plan.done)] or [f"- {_('nothing planned, nothing logged')}"]
    return "\n".join(lines) + "\n"


def page_context(plan: WeekPlan, last_week: WeekPlan, currency: str = "¥") -> dict[str, object]:
    """What ``plan.md.j2`` shows (see templates/README.md): ``plan`` by region and day, each client with
    its reminders and the lines of its brief; then the plan against done of ``last_week`` and of ``plan``."""
    def week(title: str, p: WeekPlan) -> dict[str, object]:
        return {"heading": title % {"start": p.monday.isoformat(), "end": p.sunday.isoformat()},
                "lines": done_lines(p.done) or [_("nothing planned, nothing logged")]}

    return {
        "heading": heading(plan),
        "counts": counts(plan),
        "start": plan.start,
        "nothing": None if plan.regions else _("Nothing due this week."),
        "regions": [{"name": region_name(r.name), "days": [
            {"date": d, "name": day_name(d), "visits": [
                {"client": v.client, "reminders": v.reminders, "brief": brief_lines(v.brief, currency)}
                for v in visits]}
            for d, visits in r.days]} for r in plan.regions],
        "done": [week(_("Last week, %(start)s to %(end)s"), last_week),
                 week(_("This week, %(start)s to %(end)s"), plan)],
    }


def as_json(plan: WeekPlan) -> str:
    return json.dumps(as_mapping(plan), ensure_ascii=False, indent=2) + "\n"
