"""The pages of the site, as Markdown text: Jinja2 templates fed by plain view data.

:func:`render_pages` turns clients, reminders and git history into a mapping of
docs-relative paths to file contents. It does no I/O besides reading templates, so
the whole docs tree can be compared with a golden copy.

Templates come from the project's ``templates/`` first, then from the packaged
``crmgen/templates/``. Autoescaping is on and every ``{{ value }}`` also has its
Markdown syntax neutralised (:func:`crmgen.render.markup.finalize`); a template
author never has to remember to escape.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import posixpath
import re
from collections import defaultdict
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from crmgen import i18n
from crmgen.format.errors import CrmgenError
from crmgen.format.model import COMPLAINT_STEPS, GRADES, STAGES, Client
from crmgen.format.money import money
from crmgen.format.terms import DAYS, Terms
from crmgen.load.project import Settings, cache_dir_for
from crmgen.render import markup
from crmgen.render.dashboard import owner_progress, record_view
from crmgen.render.dashboard import receivables as receivables_context
from crmgen.render.pipeline import client_months_chart
from crmgen.render.tree import KEEP, fingerprint
from crmgen.rules import complaints
from crmgen.rules import opportunities as opp
from crmgen.rules.rebates import label as rebate_label
from crmgen.rules.rebates import pace, standing
from crmgen.rules.receivables import band_labels, credit_of, due_of, pay_speed, receivables
from crmgen.rules.record import excused as record_excused
from crmgen.rules.record import sides as record_sides
from crmgen.rules.wording import when
from crmgen.slugs import free_slug, slugify

PACKAGE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
FORMAT_DOC = Path(__file__).resolve().parent.parent / "docs" / "format.md"

# Output paths of the fixed pages (docs-relative Markdown sources).
HOME = "index.md"
REMINDERS = "reminders/index.md"
REMINDERS_ICS = "reminders/reminders.ics"
ALL_CLIENTS = "clients/index.md"
RECEIVABLES = "receivables.md"
PIPELINE = "pipeline.md"
SALES = "sales.md"
REPORTS = "reports/index.md"
REFERRALS = "referrals.md"
PLANS = "plans/index.md"
LISTS = {  # the titles are translated where they are shown
    "grade": ("lists/grade.md", i18n.N_("By grade")),
    "owner": ("lists/owner.md", i18n.N_("By owner")),
    "tag": ("lists/tag.md", i18n.N_("By tag")),
    "stage": ("lists/stage.md", i18n.N_("By stage")),
}
# The lists' headings (list.md.j2 shows them; a project's own template gets them as ``heading``).
LIST_HEADINGS = {"grade": i18n.N_("Clients by grade"), "owner": i18n.N_("Clients by owner"),
                 "tag": i18n.N_("Clients by tag"), "stage": i18n.N_("Clients by stage")}
FORMAT = "format.md"
NO_OWNER = i18n.N_("(no owner)")  # a key (and a page name's source): translated where shown

# A slug becomes a directory name: letters, digits (any script), '-', '_' and '.',
# never starting with a dot, so "../x" or ".git" cannot leave clients/.
_SAFE_SLUG = re.compile(r"^[^\W_][\w.-]*\Z")


def safe_slug(slug: str) -> bool:
    """True when ``slug`` can be used as one directory name under ``clients/``."""
    return bool(_SAFE_SLUG.match(slug)) and ".." not in slug and len(slug) <= 200


@functools.lru_cache(maxsize=65536)
def client_page(slug: str) -> str:
    """The docs-relative Markdown source of a client's page."""
    if not safe_slug(slug):
        raise CrmgenError(f"clients/{slug}.md: the file name cannot be used in a web address; rename it")
    return f"clients/{slug}/index.md"


CLIENT_PAGE = re.compile(r"^clients/[^/]+/index\.md$")


def html_path(md_path: str) -> str:
    """Where MkDocs writes ``md_path`` (``use_directory_urls`` is off: the site works from file://)."""
    return md_path[: -len(".md")] + ".html" if md_path.endswith(".md") else md_path


@functools.lru_cache(maxsize=1 << 18)
def relative_url(from_md: str, to_path: str) -> str:
    """A link from the page built from ``from_md`` to the output ``to_path``.

    Both are clean docs-relative paths (no ``.``, ``..`` or doubled ``/``), so this
    is ``posixpath.relpath`` without its calls to the file system (``getcwd``): the
    index pages link every client.
    """
    target = html_path(to_path).split("/")
    start = html_path(from_md).split("/")[:-1]
    common = 0
    for a, b in zip(start, target[:-1], strict=False):
        if a != b:
            break
        common += 1
    return "/".join([".."] * (len(start) - common) + target[common:])


def owner_slug(owner: str, taken: set[str]) -> str:
    """A file name for an owner's reminder page (pinyin for Chinese names)."""
    base = "no-owner" if owner == NO_OWNER else slugify(owner)
    if base in ("index", "reminders"):  # reminders/index.md and reminders/reminders.ics are taken
        base = f"owner-{base}"
    return free_slug(base, taken)


# --- view data -----------------------------------------------------------------


@dataclass
class Views:
    """Everything computed once for all pages (indexes over the clients)."""

    clients: list[Client]
    by_slug: dict[str, Client]
    by_name: dict[str, Client]
    referrals: dict[str, list[Client]]
    reminders_by_client: dict[str, list[Any]]
    next_reminder: dict[str, Any]
    owners: dict[str, str] = field(default_factory=dict)  # owner name -> page slug


def build_views(clients: Sequence[Client], reminders: Sequence[Any],
                owners_since: Mapping[str, dt.datetime] | None = None) -> Views:
    """Indexes used by several pages: referrals, reminders per client, owners.

    Two owners whose names make the same page name (张敏 and 章敏 are both ``zhang-min``):
    the one git saw first (``owners_since``, :attr:`crmgen.history.History.owners_since`)
    keeps the plain name and a newcomer gets ``-2``, so that a subscribed calendar never
    starts showing another person's reminders. Without git's word, by name.
    """
    by_slug = {c.slug: c for c in clients}
    by_name: dict[str, Client] = {}
    for c in clients:
        by_name.setdefault(c.name, c)
    referrals: dict[str, list[Client]] = defaultdict(list)
    for c in clients:
        if c.referred_by:
            ref = by_slug.get(c.referred_by) or by_name.get(c.referred_by)
            if ref is not None:
                referrals[ref.slug].append(c)
    per_client: dict[str, list[Any]] = defaultdict(list)
    for r in reminders:
        per_client[r.client].append(r)
    next_reminder = {slug: rs[0] for slug, rs in per_client.items()}
    owner_names = sorted({c.owner or NO_OWNER for c in clients} | {r.owner or NO_OWNER for r in reminders})
    since = owners_since or {}
    never = dt.datetime.max.replace(tzinfo=dt.UTC)
    taken: set[str] = set()
    slugs: dict[str, str] = {}
    for name in sorted(owner_names, key=lambda name: (since.get(name, never), name)):
        slug = owner_slug(name, taken)
        taken.add(slug)
        slugs[name] = slug
    owners = {name: slugs[name] for name in owner_names}
    return Views(
        clients=list(clients),
        by_slug=by_slug,
        by_name=by_name,
        referrals=dict(referrals),
        reminders_by_client=dict(per_client),
        next_reminder=next_reminder,
        owners=owners,
    )


def promise_ledger(client: Client, today: dt.date) -> dict[str, Any]:
    """Promises newest due first, each kept on time, kept N days late, broken, late or open; and
    each side's record (:mod:`crmgen.rules.record`): all promises, money promises, the others."""
    excused = record_excused(client.promises)
    rows = []
    for p in sorted(client.promises, key=lambda p: (p.due, p.index), reverse=True):
        if p.kept is not None and p.days_late:
            status = i18n.ngettext("kept %(num)d day late", "kept %(num)d days late", p.days_late) % {
                "num": p.days_late}
            css, on = "late", p.kept
        elif p.kept is not None:
            status, css, on = i18n.pgettext("promises", "kept"), "kept", p.kept
        elif p.broken is not None:
            status, css, on = i18n.pgettext("promises", "broken"), "broken", p.broken
        elif p.due < today:
            status, css, on = i18n.pgettext("promises", "late"), "late", None
        else:
            status, css, on = i18n.pgettext("promises", "open"), "open", None
        rows.append({"promise": p, "status": status, "css": css, "on": on, "excused": p.index in excused})
    record = {side: record_view(r) for side, r in record_sides(client.promises, today).items()}
    return {"rows": rows, "record": record}


def order_years(client: Client) -> list[dict[str, Any]]:
    """Total ordered per calendar year, oldest first, with growth over the year before."""
    totals: dict[int, float] = defaultdict(float)
    counts: dict[int, int] = defaultdict(int)
    for o in client.orders:
        totals[o.date.year] += o.amount
        counts[o.date.year] += 1
    rows = []
    previous: float | None = None
    for year in sorted(totals):
        total = totals[year]
        growth = None
        if previous:
            growth = f"{(total - previous) / previous * 100:+.0f}%"
        rows.append({"year": year, "total": total, "count": counts[year], "growth": growth})
        previous = total
    return rows


def payments_owed(client: Client, settings: Settings, today: dt.date) -> list[dict[str, Any]]:
    """Orders not fully paid, oldest first, with their due day (``pay_by``, else by the terms),
    how late they are and their ageing band."""
    labels = age_names(settings.ageing)
    rows = []
    for r in receivables(client, settings, today):
        late = r.days_late
        if late is None:
            status = i18n._("due on delivery")
        elif late > 0:
            status = i18n.ngettext("%(num)d day late", "%(num)d days late", late) % {"num": late}
        elif late == 0:
            status = i18n._("due today")
        else:
            status = i18n.ngettext("due in %(num)d day", "due in %(num)d days", -late) % {"num": -late}
        rows.append({"order": r.order, "due": r.due, "terms": r.terms, "late": late, "status": status,
                     "overdue": bool(late and late > 0), "band": labels[r.band]})
    return rows


def age_names(bands: Sequence[int]) -> list[str]:
    """The ageing bands as a client's page names them: :func:`crmgen.rules.receivables.band_labels`
    (``not due``, ``1–30``, ... ``over 365``) in the build's language."""
    names = band_labels(bands)
    names[0] = i18n._("not due")
    names[-1] = i18n._("over %(days)s") % {"days": bands[-1]} if bands else i18n.pgettext("age", "late")
    return names


def terms_text(terms: Terms | None) -> str | None:
    """Payment terms as written, but for the days a bare number makes (``terms: 30`` is
    ``30 days``), which are said in the build's language."""
    if terms is None:
        return None
    if terms.kind == DAYS and terms.text == f"{terms.days} days":
        return i18n._("%(n)s days") % {"n": terms.days}
    return terms.text


def order_rows(client: Client, settings: Settings) -> list[dict[str, Any]]:
    """Orders newest first, each with its due day and the terms it was worked out from."""
    rows = []
    delivered = [o for o in client.orders if o.delivered is not None]
    # the usage review is asked of the latest delivered order only (crmgen.rules.kinds.usage)
    latest = max(delivered, key=lambda o: (o.delivered, o.date, o.index)) if delivered else None
    for o in sorted(client.orders, key=lambda o: (o.date, o.index), reverse=True):
        due, terms = due_of(o, client, settings)
        reviews = any(v is not None for v in (o.review_outcome, o.review_note, o.usage_reviewed, o.usage_outcome,
                                              o.usage_note))
        rows.append({"order": o, "due": due, "terms": terms if o.owed > 0 or o.pay_by is None else None,
                     "reviews": reviews,  # the after-sale reviews' outcomes or notes are written
                     "usage_due": o.delivered + dt.timedelta(days=settings.usage_after)
                     if o is latest and o.delivered and o.usage_reviewed is None else None})
    return rows


def service_rows(client: Client) -> list[dict[str, Any]]:
    """The client's service schedules in the file's order, each with when the next one is due
    (None: no day to count from, or it would fall after the schedule's until)."""
    return [{"s": s, "next": s.next_due} for s in client.services]


def complaint_rows(client: Client, settings: Settings) -> list[dict[str, Any]]:
    """Complaints newest first, each with the six steps as they stand (done, the one being worked on,
    to do; the day each was reached when written: :func:`crmgen.rules.complaints.steps_shown`), when
    the current step is due, and the follow-up visit after closing."""
    rows = []
    for c in sorted(client.complaints, key=lambda c: (c.opened, c.index), reverse=True):
        steps = [{"n": s["number"], "name": s["step"], "state": s["state"], "day": s["day"]}
                 for s in complaints.steps_shown(c)]
        rows.append({"complaint": c, "steps": steps, "reached": complaints.number(c.step),
                     "due": complaints.due(c, settings), "visit_due": complaints.visit_due(c, settings, client.interactions),
                     "contacted": complaints.contacted_after(c, client.interactions),
                     "took": complaints.resolution_days(c),
                     "compensation_amount": money(c.compensation_amount, settings.currency)
                     if c.compensation_amount is not None else None})
    return rows


def opportunity_rows(client: Client, settings: Settings, today: dt.date) -> list[dict[str, Any]]:
    """The client's opportunities, open ones first (by expected day), each with its stage, chance,
    weighted value, and why it wants a look when it does (:mod:`crmgen.rules.opportunities`)."""
    rows: list[dict[str, Any]] = []
    for o in client.opportunities:
        seen = opp.attention(o, settings)
        rows.append({
            "o": o, "stage": opp.stage(o, settings), "open": opp.is_open(o, settings),
            "amount": money(o.amount, settings.currency), "probability": f"{opp.probability(o, settings) * 100:.0f}%",
            "weighted": money(opp.weighted(o, settings), settings.currency),
            "why": seen.why if seen is not None and seen.date <= today else None,
        })
    rows.sort(key=lambda r: (not r["open"], r["o"].expected or dt.date.max, r["o"].index))
    return rows


def rebate_progress(client: Client, today: dt.date) -> list[dict[str, Any]]:
    """Each rebate programme: what it counts so far against its tiers, the money earned now and at
    the next tier, the pace at mid-period, and whether it is settled (:mod:`crmgen.rules.rebates`)."""
    out = []
    for rebate in client.programmes:
        if not rebate.tiers:
            continue
        now = standing(client, rebate)
        tiers = sorted(rebate.tiers, key=lambda t: t.over)
        target = now.next.over if now.next else tiers[-1].over or 1
        start, end = rebate.start, rebate.end
        out.append({
            "rebate": rebate,
            "label": rebate_label(rebate),
            "tiers": [{"tier": t, "reached": now.total >= t.over} for t in tiers],
            "bought": now.total,
            "reached": now.reached,
            "next": now.next,
            "to_go": now.missing,
            "earned": now.earned,
            "at_next": now.at_next,
            "pace": checked if (checked := pace(client, rebate)) is not None and checked.day <= today else None,
            "percent": min(100, round(now.total / target * 100)) if target else 100,
            "days_left": (end - today).days if end else None,
            "active": (start is None or start <= today) and (end is None or today <= end),
            "over": end is not None and today > end,
        })
    return out


def _credit_text(client: Client, settings: Settings) -> str | None:
    """``owes ¥70,000: ¥20,000 over the limit`` / ``owes ¥30,000: ¥20,000 available (60% used)``."""
    credit = credit_of(client)
    if credit is None:
        return None
    owes = money(credit.owed, settings.currency)
    if credit.available < 0:
        return i18n._("owes %(owes)s: %(over)s over the limit") % {
            "owes": owes, "over": money(-credit.available, settings.currency)}
    return i18n._("owes %(owes)s: %(available)s available (%(share)s used)") % {
        "owes": owes, "available": money(credit.available, settings.currency), "share": f"{credit.share:.0%}"}


def _pay_speed_text(client: Client) -> str | None:
    speed = pay_speed(client)
    if speed is None:
        return None
    median = i18n.ngettext("%(num)s day", "%(num)s days", 1 if speed.median == 1 else 2) % {
        "num": f"{speed.median:g}"}
    last = i18n.ngettext("%(num)s day", "%(num)s days", speed.last) % {"num": speed.last}
    orders = i18n.ngettext("%(num)s order", "%(num)s orders", speed.orders) % {"num": speed.orders}
    return i18n._("median %(median)s, last order %(last)s (from delivery to paid in full; %(orders)s)") % {
        "median": median, "last": last, "orders": orders}


def profile_fields(client: Client, settings: Settings) -> list[tuple[str, Any, str]]:
    """(label, value, kind) for every field of the profile card, ``extra`` included."""
    _ = i18n._
    fields: list[tuple[str, Any, str]] = [
        # Grade, stage, owner and tags are the badges above the fields.
        (_("Industry"), client.industry, "text"),
        (_("Phone"), client.phone, "phone"),
        (_("Email"), client.email, "email"),
        (_("Website"), client.website, "url"),
        (_("Address"), client.address, "text"),
        (_("Region"), client.region, "text"),
        (_("Client since"), client.since, "date"),
        (_("Contact every"), _("%(n)s days") % {"n": client.cadence} if client.cadence else None, "text"),
        (_("Credit limit"), money(client.credit_limit, settings.currency) if client.credit_limit is not None else None,
         "text"),
        (_("Credit"), _credit_text(client, settings), "text"),
        (_("Terms"), terms_text(client.terms), "text"),
        (_("Days to pay"), _pay_speed_text(client), "text"),
        (_("Source"), client.source, "text"),
        (_("Referred by"), client.referred_by, "referrer"),
        (_("No contact until"), client.blocked_until, "date"),
        (_("Win back on"), client.win_back, "date"),
        (_("Last contact"), client.last_contact, "date"),
    ]
    for a in sorted(client.dates, key=lambda a: (a.date.month, a.date.day, a.what)):
        fields.append((a.what, a.written, "text") if a.lunar is not None else (a.what, a.date, "date"))
    for key in sorted(client.extra, key=str):
        label = str(key).replace("_", " ")
        if i18n.active() == i18n.DEFAULT:  # an English label starts with a capital; elsewhere the key as written
            label = label[:1].upper() + label[1:]
        fields.append((label, _extra_text(client.extra[key]), "text"))
    return [f for f in fields if f[1] not in (None, "")]


def _extra_text(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_extra_text(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(_extra_text(v) for v in value)
    if isinstance(value, bool):
        return i18n._("yes") if value else i18n._("no")
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return "" if value is None else str(value)


def safe_url(url: str | None) -> str | None:
    """A website field as a link target, only for http(s) (no ``javascript:``)."""
    if not url:
        return None
    url = url.strip()
    if re.match(r"(?i)^https?://", url):
        return url
    if re.match(r"^[\w-]+(\.[\w-]+)+(/|$)", url):
        return "https://" + url
    return None


_NEXT_LINE = re.compile(
    r"^[ \t]*(?:[-*][ \t]+)?(?:next|下一步)[ \t]*[:：][ \t]*\d{4}-\d{2}-\d{2}.*$", re.IGNORECASE | re.MULTILINE
)
_SECTION = re.compile(r"^##[ \t]", re.MULTILINE)


def interaction_rows(client: Client) -> list[dict[str, Any]]:
    """Interactions newest first; the ``Next:`` line is shown apart, so it leaves the body."""
    rows = []
    for i in sorted(client.interactions, key=lambda i: (i.date, i.line), reverse=True):
        body = _NEXT_LINE.sub("", i.body, count=1).strip("\n") if i.next_date else i.body
        rows.append({"i": i, "body": body})
    return rows


def intro(client: Client) -> str:
    """The free text before the first dated ``## `` section of the body."""
    match = _SECTION.search(client.body)
    return (client.body[: match.start()] if match else client.body).strip()


def grouped_clients(clients: Iterable[Client], key: str, *, in_name_order: bool = False) -> list[tuple[str, list[Client]]]:
    """Clients grouped by grade, stage, owner or tag, in a stable, meaningful order; each group
    in name order (``in_name_order``: ``clients`` are in that order already, see :func:`name_order`)."""
    groups: dict[str, list[Client]] = defaultdict(list)
    for c in clients if in_name_order else sorted(clients, key=name_order):
        if key == "tag":
            for t in c.tags or (i18n.N_("(no tag)"),):  # a key: translated where shown
                groups[t].append(c)
        elif key == "owner":
            groups[c.owner or NO_OWNER].append(c)
        else:
            groups[getattr(c, key)].append(c)
    if key == "grade":
        order = [g for g in GRADES if g in groups] + sorted(set(groups) - set(GRADES))
    elif key == "stage":
        order = [s for s in STAGES if s in groups] + sorted(set(groups) - set(STAGES))
    else:
        order = sorted(groups, key=lambda k: (k.startswith("("), _pinyin_key(k)))
    return [(k, groups[k]) for k in order]


def name_order(client: Client) -> tuple[str, str]:
    """Sort key: Chinese names by their pinyin, among the Latin ones (华东 files under H)."""
    return (_pinyin_key(client.name), client.slug)


def _pinyin_key(name: str) -> str:
    # Every list page sorts every client; slugify keeps a memo (saved between builds,
    # see crmgen.slugs.load_memo), so jieba runs only for names it has not seen.
    return slugify(name)


# --- rendering -------------------------------------------------------------------


def make_environment(templates_dir: Path | None, cache_dir: Path | None = None) -> jinja2.Environment:
    """Project templates first, then packaged ones; autoescape, StrictUndefined, finalize.

    With ``cache_dir``, compiled templates are kept there (Jinja2's bytecode cache,
    checked against each template's source): compiling them took a tenth of a
    build after one edit.
    """
    loaders: list[jinja2.BaseLoader] = []
    if templates_dir is not None and templates_dir.is_dir():
        loaders.append(jinja2.FileSystemLoader(str(templates_dir)))
    loaders.append(jinja2.FileSystemLoader(str(PACKAGE_TEMPLATES)))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=markup.finalize,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.do"],
        bytecode_cache=_bytecode_cache(cache_dir),
    )
    install_messages(env)
    env.filters["plain"] = markup.plain
    env.filters["indent_md"] = markup.indent
    env.filters["html_block"] = markup.html_block
    env.filters["plain_lines"] = markup.plain_lines
    env.globals["terms_text"] = terms_text
    env.globals["COMPLAINT_STEPS"] = COMPLAINT_STEPS
    return env


def install_messages(env: jinja2.Environment) -> None:
    """Give ``env`` the words of the build's language: Jinja's i18n extension with crmgen's messages
    (looked up as each page renders, in the active language of :mod:`crmgen.i18n`; what fills their
    placeholders is escaped as any {{ value }} is: markup.message), ``label`` and ``when``."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=False, pgettext=_pgettext)
    env.globals["label"] = i18n.label
    env.globals["when"] = when


def _gettext(text: str, **values: Any) -> Markup:
    """``{{ _("Grade %(grade)s", grade=client.grade) }}`` in a template."""
    return markup.message(i18n._(text), values)


def _ngettext(singular: str, plural: str, n: int, **values: Any) -> Markup:
    """``{{ ngettext("%(num)d client", "%(num)d clients", n) }}``: ``num`` is ``n`` unless given."""
    values.setdefault("num", n)
    return markup.message(i18n.ngettext(singular, plural, n), values)


def _pgettext(context: str, text: str, **values: Any) -> Markup:
    return markup.message(i18n.pgettext(context, text), values)


# Index pages link every client: each link is computed once per (page, target).
@functools.lru_cache(maxsize=1 << 18)
def _markup_url(page: str, target: str) -> Markup:
    return Markup(relative_url(page, target))


@functools.lru_cache(maxsize=1 << 18)
def _client_url(page: str, slug: str) -> Markup:
    return Markup(relative_url(page, client_page(slug)))


class CacheOnlyBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's compiled templates kept in files, a failed write ignored: a full disk or a
    read-only cache costs the next build a compile, never this build (Jinja removes its
    temporary file itself). Also the theme's cache (:mod:`crmgen.accel.plugin`)."""

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass  # a cache, not a requirement


def _bytecode_cache(cache_dir: Path | None) -> jinja2.BytecodeCache | None:
    if cache_dir is None:
        return None
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # a cache, not a requirement
    return CacheOnlyBytecodeCache(str(cache_dir), "%s.jinja")


@dataclass
class SiteContext:
    """The ``site`` variable every template gets (links are relative to the current page)."""

    today: dt.date
    title: str
    page: str
    settings: Settings
    views: Views
    history_available: bool = True
    history_reason: str | None = None
    nav_links: list[tuple[str, str]] = field(default_factory=list)
    row_memo: RowMemo | None = None

    def memo(self, name: str, macro: Callable[..., Any], item: Any, *args: Any) -> Markup:
        """``macro(item, *args)``, kept between builds: an index page's row for a client or reminder.

        The row is rendered again only when what it is made of changed: the page
        it is on, ``name``, ``args`` and the fingerprint of ``item``'s client (which
        covers the client, its reminders, the templates, the day and the settings).
        So ``macro`` must read nothing but its arguments and ``site``.
        """
        return self.memo_rows(name, macro, (item,), *args)

    def memo_rows(self, name: str, macro: Callable[..., Any], items: Iterable[Any], *args: Any) -> Markup:
        """:meth:`memo` for each of ``items``, joined: a whole table in one call (no template loop
        over 10,000 rows)."""
        rows = self.row_memo
        if rows is None:
            return str.__new__(Markup, "".join([str(macro(item, *args)) for item in items]))
        old, new, key_of, page = rows.old.get, rows.new, rows.key, self.page
        out = []
        for item in items:
            key = key_of(item)
            text = None
            if key is not None:
                full = (name, page, key, args)
                try:
                    text = old(full)
                except TypeError:  # a list or a dict among the arguments or values: no key to keep it under
                    key = None
            if text is None:
                text = str(macro(item, *args))
            if key is not None:
                new[full] = text
            out.append(text)
        return str.__new__(Markup, "".join(out))

    def url(self, target: str) -> Markup:
        """Relative link to another generated page (docs-relative ``.md`` path)."""
        return _markup_url(self.page, target)

    @property
    def reminders_url(self) -> Markup:
        """Relative link to the reminders page."""
        return self.url(REMINDERS)

    @property
    def receivables_url(self) -> Markup:
        """Relative link to the receivables page."""
        return self.url(RECEIVABLES)

    @property
    def home_url(self) -> Markup:
        """Relative link to the dashboard."""
        return self.url(HOME)

    def client_url(self, slug: str) -> Markup:
        """Relative link to a client's page from the current page."""
        return _client_url(self.page, slug)

    def owner_url(self, owner: str | None) -> Markup:
        """Relative link to an owner's reminder page."""
        return self.url(f"reminders/{self.views.owners[owner or NO_OWNER]}.md")

    def money(self, amount: float | int | None) -> str:
        """An amount in the team's currency (empty for none)."""
        return money(amount, self.settings.currency)

    @staticmethod
    def percent(rate: float) -> str:
        """A fraction as a percentage: ``0.025`` -> ``2.5%``, ``0.02`` -> ``2%``."""
        return f"{rate * 100:.2f}".rstrip("0").rstrip(".") + "%"

    def md(self, text: str | None) -> Markup:
        """Markdown from a client file (notes, interaction bodies), safe for the page."""
        return markup.user_markdown(text, allow_html=self.settings.allow_html)

    def client_name(self, slug: str) -> str:
        """The name of the client with this slug (the slug itself if unknown)."""
        c = self.views.by_slug.get(slug)
        return c.name if c else slug


@dataclass
class RenderInput:
    """What :func:`render_pages` needs; built by :func:`crmgen.render.build.build_site`."""

    clients: list[Client]
    reminders: list[Any]
    history: Any  # crmgen.history.History
    today: dt.date
    settings: Settings
    title: str
    templates_dir: Path | None
    broken: list[str] = field(default_factory=list)
    ics: Callable[[list[Any], str], bytes] | None = None
    dashboard: Callable[..., dict[str, Any]] | None = None
    views: Views | None = None
    page_cache: PageCache | None = None
    # A digest of what a client was parsed from (crmgen.load.book.Book.digest), or None: then
    # the client itself is hashed (10,000 of them were a second of every build).
    digest: Callable[[Client], str | None] | None = None
    # Takes each client page as it is rendered (docs path, UTF-8 text); what it returns
    # stands for the page in the result (crmgen.render.publish.TreeWriter). None: the text.
    write: Callable[[str, bytes], Any] | None = None
    # The reminder plan ``reminders`` was picked from (crmgen.rules.reminders.plan), when the caller
    # has it: the week's plans pick their days from it instead of running the rules again.
    plan: dict | None = None


class RowMemo:
    """Rows of the index pages from the last build (see :meth:`SiteContext.memo`).

    After one edit the reminders page, the lists and the clients page still list
    every client: at 10,000 clients rendering their rows again was most of the
    build. A row is keyed by its client's page fingerprint, so it is reused
    exactly when the client's own page is. A row of plain values (a dict, as the
    dashboard's tables have) is keyed by those values and ``inputs``, the inputs
    every page shares (templates, today, settings, versions).
    """

    def __init__(self, old: dict[Any, str], new: dict[Any, str], client_key: Callable[[Client], str],
                 views: Views, inputs: str | None = None) -> None:
        self.old = old
        self.new = new  # filled with the rows of this build
        self._client_key = client_key
        self._views = views
        self._inputs = inputs
        self._reminder_at: dict[int, tuple[str, int]] | None = None  # a reminder's key, by its id

    def key(self, item: Any) -> Any:
        """What ``item``'s row is made of: its client's fingerprint (and which reminder), its
        values, or None."""
        if isinstance(item, Client):
            return self._client_key(item)
        if type(item) is dict:
            # An unhashable value makes the lookup fail: that row is rendered, not kept.
            return None if self._inputs is None else (self._inputs, tuple(item.items()))
        if self._reminder_at is None:
            by_slug = self._views.by_slug
            self._reminder_at = {
                id(r): (self._client_key(by_slug[slug]), i)
                for slug, rs in self._views.reminders_by_client.items() if slug in by_slug
                for i, r in enumerate(rs)
            }
        return self._reminder_at.get(id(item))

    def carry(self, pages: Container[str]) -> None:
        """Keep the last build's rows of ``pages``, which were not rendered this time, for the next."""
        for full, text in self.old.items():
            if full[1] in pages:
                self.new.setdefault(full, text)


@dataclass
class PageCache:
    """Fingerprints of client pages (see :mod:`crmgen.accel.incremental`): a page whose
    inputs are unchanged and whose Markdown is still in ``docs`` is not rendered again."""

    key: str  # the inputs every page shares: today, settings, templates, versions
    old: dict[str, str]
    docs: Path
    new: dict[str, str] = field(default_factory=dict)
    rows_old: dict[Any, str] = field(default_factory=dict)  # index page rows of the last build (RowMemo)
    rows_new: dict[Any, str] = field(default_factory=dict)


def render_pages(
    data: RenderInput, progress: Callable[[int], None] | None = None, only: Container[str] | None = None
) -> dict[str, bytes]:
    """Every file of the docs tree: docs-relative path -> content (UTF-8 Markdown, .ics).

    With ``only`` (docs paths of client pages), just those client pages: what
    ``crmgen serve`` shows first after a save, before the whole rebuild.
    """
    from crmgen.rules.reminders import group

    # In the project's cache directory (the docs tree is <project>/.crmgen/docs/).
    template_cache = (cache_dir_for(data.page_cache.docs.parent.parent) / "templates"
                      if data.page_cache is not None else None)

    @functools.cache
    def environment() -> jinja2.Environment:
        """Made when a page is first rendered: a build where nothing changed renders none."""
        return make_environment(data.templates_dir, template_cache)

    views = data.views or build_views(data.clients, data.reminders)
    out: dict[str, bytes] = {}
    rows: RowMemo | None = None

    def site(page: str) -> SiteContext:
        return SiteContext(
            today=data.today,
            title=data.title,
            page=page,
            settings=data.settings,
            views=views,
            history_available=bool(getattr(data.history, "available", False)),
            history_reason=getattr(data.history, "reason", None),
            row_memo=rows,
        )

    def render(template: str, page: str, **context: Any) -> None:
        env = environment()
        try:
            text = env.get_template(template).render(site=site(page), **context)
        except jinja2.TemplateSyntaxError as exc:
            raise CrmgenError(
                f"{_template_origin(env, exc.name or template)}:{exc.lineno}: error: template syntax: {exc.message}"
            ) from exc
        except (jinja2.UndefinedError, jinja2.TemplateError) as exc:
            raise CrmgenError(
                f"{_template_origin(env, template)}: error: rendering {page} failed: {exc}; "
                "the variables each template gets are listed in templates/README.md"
            ) from exc
        text = _tidy(text)
        if not CLIENT_PAGE.match(page):
            # Searching a name should land on the client's page, not on every list that
            # names it; and indexing the big lists would dominate incremental builds.
            # Into the template's own front matter if it has one (MkDocs reads only the first).
            if text.startswith("---\n"):
                text = "---\nsearch:\n  exclude: true\n" + text[4:]
            else:
                text = "---\nsearch:\n  exclude: true\n---\n\n" + text
        elif data.write is not None:
            out[page] = data.write(page, text.encode("utf-8"))
            return
        out[page] = text.encode("utf-8")

    def calendar(path: str, reminders: list[Any], name: str, sources: list[Client]) -> None:
        """A calendar of ``reminders``, which are exactly those of the clients ``sources``."""
        assert data.ics is not None
        if cache is not None:
            # The clients' page fingerprints cover their reminders (and today, the settings):
            # hashing 10,000 of them is cheaper than hashing 40,000 reminders.
            cache.new[path] = fingerprint(cache.key, "calendar", name, [client_key(c) for c in sources])
            if cache.old.get(path) == cache.new[path] and os.path.isfile(f"{cache.docs}/{path}"):
                out[path] = KEEP  # type: ignore[assignment]
                return
        out[path] = data.ics(reminders, name)

    def render_client(client: Client) -> None:
        history = data.history.for_slug(client.slug) if getattr(data.history, "files", None) is not None else None
        render(
            "client.md.j2",
            client_page(client.slug),
            client=client,
            fields=profile_fields(client, data.settings),
            website=safe_url(client.website),
            referrer=views.by_slug.get(client.referred_by or "") or views.by_name.get(client.referred_by or ""),
            referrals=views.referrals.get(client.slug, []),
            reminders=views.reminders_by_client.get(client.slug, []),
            contacts=sorted(client.contacts, key=lambda c: (c.left is not None, c.left or dt.date.min)),
            interactions=interaction_rows(client),
            intro=intro(client),
            promises=promise_ledger(client, data.today),
            years=order_years(client),
            months_chart=client_months_chart(client, data.settings.currency, data.today),
            orders=order_rows(client, data.settings),
            payments=sorted(((p, o) for o in client.orders for p in o.payments), key=lambda po: po[0].date,
                            reverse=True),
            owed=payments_owed(client, data.settings, data.today),
            complaints=complaint_rows(client, data.settings),
            opportunities=opportunity_rows(client, data.settings, data.today),
            services=service_rows(client),
            rebates=rebate_progress(client, data.today),
            history=history,
        )

    if only is not None:
        for client in data.clients:
            if client_page(client.slug) in only:
                render_client(client)
        return out

    cache = data.page_cache
    files = getattr(data.history, "files", None)
    client_keys: dict[str, str] = {}

    client_digests: dict[str, str] = {}

    def client_digest(client: Client) -> str:
        """The fingerprint of the client alone (once per build: referrals ask again)."""
        digest = client_digests.get(client.slug)
        if digest is None:
            known = data.digest(client) if data.digest is not None else None
            digest = client_digests[client.slug] = known if known is not None else fingerprint(client)
        return digest

    def client_key(client: Client) -> str:
        """The fingerprint of everything a client's page is made from (computed once)."""
        assert cache is not None
        key = client_keys.get(client.slug)
        if key is None:
            history = data.history.for_slug(client.slug) if files is not None else None
            referrer = views.by_slug.get(client.referred_by or "") or views.by_name.get(client.referred_by or "")
            key = client_keys[client.slug] = fingerprint(
                cache.key, client_digest(client), referrer and client_digest(referrer),
                [client_digest(c) for c in views.referrals.get(client.slug, [])],
                [_values(r) for r in views.reminders_by_client.get(client.slug, [])], _history_key(history),
            )
        return key

    everyone: str | None = None
    kept_pages: set[str] = set()

    def kept(page: str, *made_of: Any) -> bool:
        """True when ``page`` is made of the same inputs as in the last build and is still in
        the docs tree: then it is left as it is (:data:`KEEP`), not rendered again."""
        return cache is not None and kept_as(page, fingerprint(cache.key, page, *made_of))

    def kept_as(page: str, key: str) -> bool:
        """:func:`kept` for a page whose fingerprint is ``key``."""
        assert cache is not None
        cache.new[page] = key
        if cache.old.get(page) == key and os.path.isfile(f"{cache.docs}/{page}"):
            out[page] = KEEP  # type: ignore[assignment]
            kept_pages.add(page)
            return True
        return False

    def kept_whole_book(page: str) -> bool:
        """:func:`kept` for a page made of every client and reminder (the dashboard, the lists)."""
        nonlocal everyone
        if cache is None:
            return False
        if everyone is None:
            # The clients' page fingerprints cover their reminders, the day and the settings.
            everyone = fingerprint(
                [client_key(c) for c in data.clients],
                [_values(r) for r in data.reminders if r.client not in views.by_slug],
                data.ics is not None, data.dashboard is not None,
            )
        return kept(page, everyone)

    if cache is not None:
        rows = RowMemo(cache.rows_old, cache.rows_new, client_key, views, inputs=cache.key)

    # Home page: the dashboard helper's template and numbers.
    dash: dict[str, Any] = {}
    if not kept_whole_book(HOME):
        if data.dashboard is not None:
            dash = data.dashboard(data.clients, data.reminders, data.today, data.settings, data.broken)
        try:
            environment().get_template("dashboard.md.j2")
        except jinja2.TemplateNotFound:
            render("placeholder-dashboard.md.j2", HOME, broken=data.broken, clients=data.clients)
        else:
            render("dashboard.md.j2", HOME, **dash)

    # Receivables: what is owed, by owner and client, in the team's ageing bands; credit.
    if data.dashboard is not None and not kept_whole_book(RECEIVABLES):
        # the dashboard's numbers hold the same receivables when it was rendered too: worked out once
        recv = dash.get("receivables") or receivables_context(data.clients, data.today, data.settings)
        render("receivables.md.j2", RECEIVABLES, receivables=recv, today=data.today)

    # The pipeline (opportunities by stage) and sales (by month, growth, value classes, targets).
    if not kept_whole_book(PIPELINE):
        from crmgen.render.pipeline import pipeline_context

        render("pipeline.md.j2", PIPELINE, pipeline=pipeline_context(data.clients, data.settings, data.today),
               today=data.today)
    if not kept_whole_book(SALES):
        from crmgen.render.pipeline import sales_context

        render("sales.md.j2", SALES, sales=sales_context(data.clients, data.settings, data.today))

    # Referrals: who referred whom, and how clients came.
    if not kept_whole_book(REFERRALS):
        from crmgen.render.referrals import referral_context

        render("referrals.md.j2", REFERRALS,
               referrals=referral_context(data.clients, views.referrals, data.settings.currency, views.by_slug))

    # The day git first saw each file (new clients in the reports, the plans' touch of unseen ones).
    first_seen = data.history.first_seen() if getattr(data.history, "available", False) else None

    # Reports: this week's, last week's and this month's, for the book and for each salesperson.
    report_pages = [(REPORTS, None)] + [(f"reports/{slug}.md", name) for name, slug in views.owners.items()]
    if not all(kept_whole_book(page) for page, _owner in report_pages):
        from crmgen.render.report import blocks
        from crmgen.rules.report import period_of, report

        periods = [period_of("week", data.today), period_of("week", data.today - dt.timedelta(days=7)),
                   period_of("month", data.today)]
        for page, name in report_pages:
            if kept_whole_book(page):
                continue
            theirs = data.clients if name is None else [c for c in data.clients if (c.owner or NO_OWNER) == name]
            shown = None if name is None else (i18n._(NO_OWNER) if name == NO_OWNER else name)
            render("report.md.j2", page,
                   heading=i18n._("Reports") if shown is None else i18n._("Reports for %(owner)s") % {"owner": shown},
                   owner=shown,
                   periods=[blocks(report(theirs, p, owner=shown, first_seen=first_seen), data.settings.currency)
                            for p in periods],
                   owners=[(i18n._(NO_OWNER) if n == NO_OWNER else n, s) for n, s in views.owners.items()]
                   if name is None else [])

    # The week's plan as of today, for the team and for each salesperson (what `crmgen plan` prints),
    # then the plan against done of last week and this week (`crmgen plan --week -1w` and `crmgen plan`).
    plan_pages = [(PLANS, None)] + [(f"plans/{slug}.md", name) for name, slug in views.owners.items()]
    if not all(kept_whole_book(page) for page, _owner in plan_pages):
        from crmgen.render.plan import page_context
        from crmgen.rules.dueplan import select
        from crmgen.rules.plan import WeekPlan, plan_against_done, plan_start, week_of, week_plan
        from crmgen.rules.reminders import lead_days, reminders_of
        from crmgen.rules.reminders import plan as reminder_plan

        monday, sunday = week_of(data.today)
        start, last_monday = plan_start(monday, data.today), monday - dt.timedelta(days=7)
        everything = data.plan if data.plan is not None else reminder_plan(data.clients, data.settings, first_seen)
        leads = lead_days(data.settings)
        this_week = reminders_of(everything, select(everything, start, (sunday - start).days, leads), start, leads)
        # the plans against done, worked out once for the book (as the weeks stood on their Mondays)
        done = {when: {d.owner: d for d in plan_against_done(data.clients, data.settings, when, first_seen)}
                for when in (last_monday, monday)}
        planned_for: dict[str, tuple[list[Client], list[Any]]] = defaultdict(lambda: ([], []))
        for c in data.clients:
            planned_for[c.owner or NO_OWNER][0].append(c)
        for r in this_week:
            planned_for[r.owner or NO_OWNER][1].append(r)  # a reminder's owner is its client's
        for page, name in plan_pages:
            if kept_whole_book(page):
                continue
            theirs, now = (data.clients, this_week) if name is None else planned_for[name]
            shown = None if name is None else (i18n._(NO_OWNER) if name == NO_OWNER else name)

            def done_of(when: dt.date, name: str | None = name) -> list[Any]:
                every = list(done[when].values())
                return every if name is None else [d for d in every if (d.owner or NO_OWNER) == name]

            this_plan = week_plan(theirs, now, data.settings, monday=monday, today=data.today, owner=shown,
                                  done=done_of(monday))
            last_plan = WeekPlan(last_monday, monday - dt.timedelta(days=1), last_monday, shown, [],
                                 done=done_of(last_monday))
            render("plan.md.j2", page, owner=shown, slug=None if name is None else views.owners[name],
                   owners=[(i18n._(NO_OWNER) if n == NO_OWNER else n, s) for n, s in views.owners.items()]
                   if name is None else [],
                   **page_context(this_plan, last_plan, data.settings.currency))

    # Reminders: all, then one page (and calendar) per owner.
    owners_with: dict[str, list[Any]] = defaultdict(list)
    for r in data.reminders:
        owners_with[r.owner or NO_OWNER].append(r)
    clients_of: dict[str, list[Client]] = defaultdict(list)
    for c in data.clients:
        clients_of[c.owner or NO_OWNER].append(c)
    if not kept_whole_book(REMINDERS):
        render(
            "reminders.md.j2",
            REMINDERS,
            heading=i18n._("Reminders"),
            owner=None,
            groups=group(data.reminders),
            total=len(data.reminders),
            owners=[(name, views.owners[name], len(owners_with.get(name, ()))) for name in views.owners],
            ics=posixpath.basename(REMINDERS_ICS),
            clients=[],
            progress=None,
        )
    if data.ics is not None:
        calendar(REMINDERS_ICS, data.reminders, i18n._("%(title)s: reminders") % {"title": data.title}, data.clients)
    for name, slug in views.owners.items():
        mine = owners_with.get(name, [])
        page = f"reminders/{slug}.md"
        shown = i18n._(NO_OWNER) if name == NO_OWNER else name
        if data.ics is not None:
            calendar(f"reminders/{slug}.ics", mine, i18n._("%(title)s: %(owner)s") % {"title": data.title, "owner": shown},
                     clients_of.get(name, []))
        theirs = clients_of.get(name, [])
        # An owner's page shows their reminders and their clients: after one edit,
        # the other owners' pages are the same and are not rendered again.
        # (Their reminders are those of their clients: the clients' keys cover them.)
        if cache is not None and kept(page, name, data.ics is not None, [client_key(c) for c in theirs]):
            continue
        render(
            "reminders.md.j2",
            page,
            heading=i18n._("Reminders for %(name)s") % {"name": shown},
            owner=name,
            groups=group(mine),
            total=len(mine),
            owners=[],
            ics=f"{slug}.ics" if data.ics is not None else None,
            clients=sorted(theirs, key=name_order),
            progress=owner_progress(theirs, data.settings, data.today, None if name == NO_OWNER else name),
        )

    # Lists.
    by_name: list[Client] | None = None  # every list's order, sorted once (when a list is rendered)
    if not kept_whole_book(ALL_CLIENTS):
        by_name = sorted(data.clients, key=name_order)
        render("clients.md.j2", ALL_CLIENTS, clients=by_name)
    for key, (page, _title) in LISTS.items():
        if kept_whole_book(page):
            continue
        if by_name is None:
            by_name = sorted(data.clients, key=name_order)
        render(
            "list.md.j2",
            page,
            key=key,
            heading=i18n._(LIST_HEADINGS[key]),
            groups=grouped_clients(by_name, key, in_name_order=True),
        )

    # One page per client.
    for i, client in enumerate(data.clients, start=1):
        if cache is None or not kept_as(client_page(client.slug), client_key(client)):
            render_client(client)
        if progress is not None:
            progress(i)

    if rows is not None:
        rows.carry(kept_pages)  # a kept page's rows serve the next build that renders it
    if FORMAT_DOC.is_file():
        out[FORMAT] = format_page(FORMAT_DOC.read_text(encoding="utf-8")).encode("utf-8")
    return out


def format_page(text: str) -> str:
    """The file format's reference (English: its keys are English in every language), introduced in
    the build's language under its title when that is not English."""
    note = i18n._("FORMAT_PAGE_INTRO")
    if note == "FORMAT_PAGE_INTRO":  # English, or a catalogue without it: the page as written
        return text
    title, _, rest = text.partition("\n")
    return f"{title}\n\n{note}\n{rest}"


def _values(obj: Any) -> tuple[Any, ...]:
    """A dataclass's field values (of plain types): cheaper to fingerprint than the object."""
    return tuple(obj.__dict__.values())


def _history_key(history: Any) -> Any:
    """What a page shows of a file's git history, by commit: a commit's id fixes its date,
    author and subject, so the ids (and the grades they set) stand for the whole history."""
    if history is None:
        return None
    return ([c.sha for c in history.commits], [(g.commit.sha, g.old, g.new) for g in history.grades],
            history.added)


def _template_origin(env: jinja2.Environment, name: str) -> str:
    """Which file a template came from: the project's copy or the packaged default."""
    try:
        source = env.loader.get_source(env, name)  # type: ignore[union-attr]
    except jinja2.TemplateNotFound:
        return name
    return source[1] or name


def _tidy(text: str) -> str:
    # Templates with many conditionals leave runs of blank lines; Markdown does
    # not care, but the docs tree is read by people (and diffed by the golden test).
    # The substring tests are what the patterns need to match at all, and much faster
    # than a regex scan of the index pages (megabytes at 10,000 clients).
    if " \n" in text or "\t\n" in text:
        text = _BLANK_LINE_SPACE.sub("\n", text)
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    if text.startswith("\n") or not text.endswith("\n") or text.endswith("\n\n"):
        return text.strip("\n") + "\n"
    return text  # already ends in one line break: not copied again


_BLANK_LINE_SPACE = re.compile(r"\n[ \t]+(?=\n)")
# \n{3,}, spelled with a literal start the regex engine can search for (5 times faster).
_BLANK_LINES = re.compile(r"\n\n\n+")
