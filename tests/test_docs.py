"""The documentation holds together: the README stays short, every relative link and anchor in README.md
and docs/ resolves, each docs/ file opens with what it covers, and the README's table of the most used
settings is the reference's rows, word for word."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"```.*?```", re.DOTALL)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    return {slug(h) for h in re.findall(r"(?m)^#{1,6} (.+)$", text)}


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_every_relative_link_and_anchor_resolves(page):
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.exists(), (page.name, target)
        if anchor:
            assert anchor in anchors(linked), (page.name, target)


def test_the_readme_is_short_and_in_the_order_a_newcomer_reads_it():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 250
    headings = re.findall(r"(?m)^## (.+)$", FENCE.sub("", text))
    assert headings == [
        "A user says they never got the email",
        "Deploying",
        "Logging the mail Cognito sends",
        "Settings",
        "How it works",
        "Read more",
    ]
    assert text.index("make plan") < text.index("make test") < text.index("## A user says")


@pytest.mark.parametrize("page", PAGES[1:], ids=[p.name for p in PAGES[1:]])
def test_each_document_starts_with_what_it_covers(page):
    title, blank, sentence = page.read_text(encoding="utf-8").splitlines()[:3]
    assert title.startswith("# ") and blank == "" and sentence.endswith(".") and len(sentence) > 40


SETTINGS_HEADER = "| Key | Type | Default | What it does |"


def table_rows(page: Path) -> set[str]:
    """The rows of the page's settings tables (those under ``SETTINGS_HEADER``), not of its other tables."""
    rows, inside = set(), False
    for line in page.read_text(encoding="utf-8").splitlines():
        if line == SETTINGS_HEADER:
            inside = True
        elif not line.startswith("|"):
            inside = False
        elif inside and line.startswith("| `"):
            rows.add(line)
    return rows


def test_the_readme_settings_are_rows_of_the_reference():
    shown = table_rows(ROOT / "README.md")
    assert len(shown) >= 8 and shown <= table_rows(ROOT / "docs" / "configuration.md") | table_rows(
        ROOT / "docs" / "operations.md"
    )
