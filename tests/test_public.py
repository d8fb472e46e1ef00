"""`--public` builds and exports leave out every private value; `--owner` builds one owner's site."""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from crmgen.cli import main
from crmgen.load.book import load_book
from crmgen.load.project import load_project
from crmgen.privacy import is_public_url
from tests.conftest import REPO, write_client

PRIVATE = ["phone", "email", "address", "contacts.phone", "contacts.email", "extra"]
SECRET = "SECRET-PASSAGE-7731"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("public")
    shutil.copytree(REPO / "clients", root / "clients")
    config = {"site_name": "CRM", "theme": {"name": "material", "font": False},
              "site_url": "https://acme-sales.github.io/crm/", "extra": {"crmgen": {"private": PRIVATE}}}
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    write_client(root, "zz-private", f"""\
        ---
        name: Private Passage Co
        grade: C
        owner: 王磊
        phone: "+86 571 0000 7731"
        extra:
          微信: wx-secret-7731
        ---
        ## 2026-11-20 visit: met the buyer
        Public part of the visit.
        <!-- private -->
        {SECRET}: their boss is leaving.
        Next: 2026-11-28 {SECRET} follow up
        <!-- /private -->
        """)
    return root


def private_values(root: Path) -> set[str]:
    values = {SECRET}
    for client in load_book(load_project(root)).clients:
        for value in (client.phone, client.email, client.address):
            if value:
                values.add(value)
        for contact in client.contacts:
            values.update(v for v in (contact.phone, contact.email) if v)
        for value in client.extra.values():
            # distinctive text only: a short date or number may rightly appear elsewhere
            if isinstance(value, str) and len(value) >= 8 and not value[:4].isdigit():
                values.add(value)
    return values


def site_text(site: Path) -> dict[str, str]:
    """Every built file as searchable text: JSON decoded, entities and jieba's separators removed."""
    out = {}
    for path in site.rglob("*"):
        if not path.is_file() or path.suffix in (".png", ".svg", ".woff", ".woff2", ".gz", ".ico"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        rel = path.relative_to(site).as_posix()
        if rel == "format.html":  # the format reference is documentation, not client data
            continue
        if path.suffix == ".json" or path.name == "search_index.js":
            data = json.loads(text.split("=", 1)[1] if text.startswith("var ") else text)
            if isinstance(data, dict) and "docs" in data:
                data["docs"] = [d for d in data["docs"] if not d["location"].startswith("format.html")]
            text = json.dumps(data, ensure_ascii=False)
        out[path.relative_to(site).as_posix()] = html.unescape(text).replace("\u200b", "").replace("\\n", "\n")
    return out


def test_public_build_holds_no_private_value(sample: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = CliRunner().invoke(main, ["-C", str(sample), "build", "--today", "2026-12-01", "--public", "-d", str(site)])
    assert result.exit_code == 0, result.output
    assert "looks like a public host" not in result.stderr
    texts = site_text(site)
    assert "search/search_index.json" in texts and "reminders/reminders.ics" in texts
    values = private_values(sample)
    assert len(values) > 20
    leaks = [(value, rel) for value in values for rel, text in texts.items() if value in text]
    assert leaks == []
    assert "Public part of the visit." in texts["clients/zz-private/index.html"]


def test_the_same_build_without_public_shows_them(sample: Path, tmp_path: Path) -> None:
    """The leak check above can fail: without --public the values are there."""
    site = tmp_path / "site"
    result = CliRunner().invoke(main, ["-C", str(sample), "build", "--today", "2026-12-01", "-d", str(site)])
    assert result.exit_code == 0, result.output
    assert "site_url https://acme-sales.github.io/crm/ looks like a public host" in result.stderr
    page = site_text(site)["clients/zz-private/index.html"]
    assert SECRET in page and "+86 571 0000 7731" in page


def unfold(vcard: str) -> str:
    """A vCard's lines unfolded (RFC 6350 3.2): a value folded over two lines is searched whole."""
    return vcard.replace("\r\n ", "").replace("\r\n\t", "").replace("\n ", "")


def test_public_export_holds_no_private_value(sample: Path) -> None:
    for fmt in ("csv", "json", "vcf"):
        result = CliRunner().invoke(main, ["-C", str(sample), "export", "--format", fmt, "--public"])
        assert result.exit_code == 0, result.output
        text = unfold(result.stdout) if fmt == "vcf" else result.stdout
        assert [v for v in private_values(sample) if v in text] == []
        assert "Private Passage Co" in text


def test_owner_build_has_only_that_owners_clients(sample: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = CliRunner().invoke(main, ["-C", str(sample), "build", "--today", "2026-12-01", "--owner", "李娜",
                                       "-d", str(site)])
    assert result.exit_code == 0, result.output
    built = {p.parent.name for p in (site / "clients").glob("*/index.html")}
    expected = {c.slug for c in load_book(load_project(sample)).clients if c.owner == "李娜"}
    assert built == expected and len(expected) >= 2
    missing = CliRunner().invoke(main, ["-C", str(sample), "build", "--owner", "Nobody", "-d", str(site)])
    assert missing.exit_code == 2 and "owners: " in missing.stderr


@pytest.mark.parametrize("url,public", [
    ("https://acme.github.io/crm/", True), ("https://crm.example.com", True), (None, False),
    ("http://localhost:8000/", False), ("http://192.168.1.20/crm", False), ("http://172.20.0.5/", False),
    ("http://172.40.0.5/", True), ("https://crm.corp/", False), ("http://nas.local/crm", False),
])
def test_public_hosts(url: str | None, public: bool) -> None:
    assert is_public_url(url) is public


def test_a_public_build_after_a_full_one_reuses_no_private_page(sample: Path, tmp_path: Path) -> None:
    # The pages of unchanged clients are kept between builds (by what each client was
    # parsed from); a --public build's clients are copies with the private values left
    # out, so nothing may be kept from the build that showed them.
    root = tmp_path / "book"
    shutil.copytree(sample, root, ignore=shutil.ignore_patterns(".crmgen"))
    for args in ([], ["--public"]):
        result = CliRunner().invoke(main, ["-C", str(root), "build", "--today", "2026-12-01", *args,
                                           "-d", str(tmp_path / "site")])
        assert result.exit_code == 0, result.output
    texts = site_text(tmp_path / "site")
    leaks = [(value, rel) for value in private_values(root) for rel, text in texts.items() if value in text]
    assert leaks == []
