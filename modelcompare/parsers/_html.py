"""Shared helpers for the document parsers: HTML grids, nearby text, money and price units.

Why this module: the model-card parser and the pricing-page parser both read tables *by header
text*, never by column position, and both meet the same markup in many shapes - ``rowspan`` and
``colspan`` in Meta's HTML tables, header rows of bold ``<td>`` cells, ARIA grids built from
``<div>``s. Each shape is flattened here into one plain grid of cell texts, so the parsers deal
with meaning, not markup. lxml is not installed, so everything uses ``"html.parser"``.

Nothing here converts a value: money stays the exact decimal text the page wrote (without "$"
and thousands separators), and units are only *named* from the text that states them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from bs4 import BeautifulSoup, Tag

HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")
MAX_SPAN = 1000  # a rowspan/colspan above this is junk markup, read as 1
_CELL_ROLES = re.compile(r"^(columnheader|rowheader|cell|gridcell)$")
_GRID_ROLES = re.compile(r"^(table|grid|treegrid)$")
_WS = re.compile(r"\s+")


def make_soup(markup: str | bytes) -> BeautifulSoup:
    return BeautifulSoup(markup, "html.parser")


def clean(text: str | None) -> str:
    """Text with non-breaking and zero-width spaces removed and whitespace collapsed."""
    if not text:
        return ""
    text = text.replace("\xa0", " ").replace("\u200b", "").replace("\ufeff", "")
    return _WS.sub(" ", text).strip()


def text_of(tag: Tag) -> str:
    return clean(tag.get_text(" ", strip=True))


@dataclass
class Grid:
    """One table-like element flattened to rows of cell texts (spans repeated in each cell)."""

    kind: str  # "table" or "aria"
    index: int  # position among the grids of its kind in the document
    element: Tag
    rows: list[list[str]] = field(default_factory=list)
    header_rows: list[bool] = field(default_factory=list)  # the row is made of header cells

    @property
    def label(self) -> str:
        return f"{self.kind}[{self.index}]"


def _span(cell: Tag, name: str) -> int:
    raw = str(cell.get(name) or "1").strip()
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= MAX_SPAN else 1


def table_grid(table: Tag, index: int) -> Grid:
    """A ``<table>`` as a grid; rows of nested tables are left to those tables."""
    grid = Grid("table", index, table)
    carried: dict[int, tuple[str, int]] = {}  # column -> (text, rows still covered)
    for tr in table.find_all("tr"):
        if tr.find_parent("table") is not table:
            continue
        cells = tr.find_all(["td", "th"], recursive=False)
        row: list[str] = []
        position = 0
        column = 0
        while position < len(cells) or column in carried:
            if column in carried:
                text, left = carried.pop(column)
                if left > 1:
                    carried[column] = (text, left - 1)
                row.append(text)
                column += 1
                continue
            cell = cells[position]
            position += 1
            text = text_of(cell)
            rowspan = _span(cell, "rowspan")
            for _ in range(_span(cell, "colspan")):
                if rowspan > 1:
                    carried[column] = (text, rowspan - 1)
                row.append(text)
                column += 1
        if not row:
            continue
        grid.rows.append(row)
        grid.header_rows.append(bool(cells) and all(c.name == "th" for c in cells))
    return grid


def aria_grid(element: Tag, index: int) -> Grid:
    """An ARIA ``role="table"``/``"grid"`` element as a grid of its rows' cells."""
    grid = Grid("aria", index, element)
    for row in element.find_all(attrs={"role": "row"}):
        if row.find_parent(attrs={"role": _GRID_ROLES}) is not element:
            continue
        cells = row.find_all(attrs={"role": _CELL_ROLES})
        if not cells:
            continue
        grid.rows.append([text_of(c) for c in cells])
        grid.header_rows.append(all(c.get("role") == "columnheader" for c in cells))
    return grid


def grids(soup: BeautifulSoup | Tag) -> list[Grid]:
    """Every ``<table>`` and ARIA grid in document order."""
    found: list[Grid] = []
    tables = 0
    arias = 0
    for element in soup.find_all(True):
        if element.name == "table":
            found.append(table_grid(element, tables))
            tables += 1
        elif _GRID_ROLES.match(str(element.get("role") or "")):
            found.append(aria_grid(element, arias))
            arias += 1
    return found


def heading_level(tag: Tag) -> int:
    return int(tag.name[1])


def outline(element: Tag) -> list[Tag]:
    """The headings ``element`` sits under, nearest first (an h3, then its h2, then its h1)."""
    path: list[Tag] = []
    level = 7
    for heading in element.find_all_previous(HEADING_TAGS):
        if heading_level(heading) < level:
            path.append(heading)
            level = heading_level(heading)
            if level == 1:
                break
    return path


def _is_table_part(tag: Tag) -> bool:
    return tag.name in ("table", "tr", "td", "th", "dl", "dd", "dt") or bool(
        _GRID_ROLES.match(str(tag.get("role") or ""))
        or str(tag.get("role") or "") in ("row", "cell", "columnheader", "rowheader")
    )


def lead_in(element: Tag, limit: int = 6) -> list[str]:
    """Texts that introduce ``element``: its caption and labels, then the headings and paragraphs
    just before it, nearest first, stopping at the previous table so no unit leaks across."""
    texts = [clean(str(element.get(attr) or "")) for attr in ("aria-label", "title", "summary")]
    caption = element.find("caption")
    if caption is not None:
        texts.append(text_of(caption))
    ancestors = {id(parent) for parent in element.parents}
    seen = 0
    for previous in element.find_all_previous(True):
        if id(previous) in ancestors:
            continue
        if _is_table_part(previous):
            break
        if previous.name in HEADING_TAGS or previous.name in ("p", "caption"):
            texts.append(text_of(previous))
            seen += 1
            if seen >= limit:
                break
    return [t for t in texts if t]


# --- money and price units -----------------------------------------------------------------
_AMOUNT = r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_DOLLAR_AMOUNT = re.compile(r"(?:US)?\$\s*" + _AMOUNT)
_PLAIN_AMOUNT = re.compile(r"(?<![\w.])" + _AMOUNT + r"(?![\w.])")
NOT_STATED = frozenset({"", "-", "–", "—", "n/a", "na", "none", "not available", "tbd"})

UNIT_PER_1K = "usd_per_1k_tokens"
UNIT_PER_MILLION = "usd_per_million_tokens"
UNIT_PER_TOKEN = "usd_per_token"
# Tokens per unit, for comparing two prices of one row (never for the values emitted).
TOKENS_PER_UNIT = {UNIT_PER_TOKEN: 1, UNIT_PER_1K: 1_000, UNIT_PER_MILLION: 1_000_000}
_UNIT_PATTERNS = (
    (
        UNIT_PER_MILLION,
        re.compile(
            r"(?:per|/|every)\s*(?:1\s*m\b|1\s*mtok|1,000,000\b|1000000\b|one million\b|a million\b"
            r"|million\b|m\s+tokens\b|m\b|mtok\b)",
            re.IGNORECASE,
        ),
    ),
    (
        UNIT_PER_1K,
        re.compile(
            r"(?:per|/|every)\s*(?:1\s*k\b|1,000\b(?!,\d)|1000\b(?!\d)|one thousand\b"
            r"|a thousand\b|thousand\b|k\s+tokens\b|k\b)",
            re.IGNORECASE,
        ),
    ),
    (UNIT_PER_TOKEN, re.compile(r"(?:per|/)\s*(?:input\s+|output\s+)?token\b", re.IGNORECASE)),
)


def price_unit(text: str) -> str | None:
    """The price unit a text states ("per 1,000 input tokens", "/ 1M tokens"), or None."""
    for unit, pattern in _UNIT_PATTERNS:
        if pattern.search(text):
            return unit
    return None


def first_unit(texts: Iterable[str]) -> tuple[str | None, str]:
    """The unit of the first text that states one, with that text."""
    for text in texts:
        unit = price_unit(text)
        if unit:
            return unit, text
    return None, ""


def money(text: str) -> str | None:
    """The first price in a cell as exact decimal text: "$1,234.50 / 1M" -> "1234.50".

    A figure written after a "$" wins over bare numbers, so "$0.15 / 1M tokens" is 0.15, not 1.
    """
    match = _DOLLAR_AMOUNT.search(text) or _PLAIN_AMOUNT.search(text)
    return match.group(1).replace(",", "") if match else None


def is_not_stated(text: str) -> bool:
    return clean(text).lower() in NOT_STATED
