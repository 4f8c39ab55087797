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
# Bounds on what one document may make us read. Real pages and cards have tens of tables, one
# level deep, of at most a few thousand cells; a hostile one can have thousands of nested
# tables or a colspan of 1000 on every cell of a long table, and every read of such a document
# must stay linear in its size.
MAX_GRIDS = 500  # tables, ARIA grids and definition lists read per document
MAX_TABLE_DEPTH = 8  # a table inside more tables than this is not read as a table
MAX_GRID_CELLS = 100_000  # cells of one grid, spans expanded
MAX_DOCUMENT_CELLS = 1_000_000  # cells of all the grids of one document
LEAD_IN_STEPS = 2_000  # elements looked at before a table for the text that introduces it
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
    outline: list[Tag] = field(default_factory=list)  # headings it sits under, nearest first
    truncated: bool = False  # more cells than MAX_GRID_CELLS: only the first rows were read

    @property
    def label(self) -> str:
        return f"{self.kind}[{self.index}]"


def _is_grid_role(tag: Tag) -> bool:
    role = tag.get("role")
    return isinstance(role, str) and bool(_GRID_ROLES.match(role))


class Layout:
    """What one pass over a document learns, so that no reader walks the whole tree once per
    table (which made a page of a thousand tables take minutes).

    For every table, ARIA grid, definition list, paragraph and list item it records the headings
    it sits under (nearest first, as ``outline`` defines them), how deeply tables nest around it,
    and which rows belong to which table; it also decides which grids are read at all
    (``MAX_GRIDS``, ``MAX_TABLE_DEPTH``) and counts the ones that are not.
    """

    _INTEREST = frozenset({"table", "dl", "p", "li"})

    def __init__(self, soup: BeautifulSoup | Tag):
        self._outline: dict[int, tuple[Tag, ...]] = {}
        self.in_table: set[int] = set()  # ids of p / li / dl inside a table or ARIA grid
        self.nesting: dict[int, int] = {}  # id(p or li) -> p / li around it, itself included
        self._rows: dict[int, list[Tag]] = {}  # id(table or grid) -> its own rows
        self._terms: dict[int, list[Tag]] = {}  # id(dl) -> its own <dt> and <dd>, in order
        self.grid_elements: list[tuple[str, Tag]] = []  # ("table" | "aria", element), in order
        self.cards: list[Tag] = []  # <dl> elements, in order
        self.too_deep = 0  # grids nested more than MAX_TABLE_DEPTH deep, not read
        self.too_many = 0  # grids and cards past MAX_GRIDS, not read
        self._scan(soup)

    def _scan(self, root: BeautifulSoup | Tag) -> None:
        headings: list[tuple[int, Tag]] = []  # open outline: (level, heading), outermost first
        tables: list[Tag] = []  # enclosing <table> elements, innermost last
        arias: list[Tag] = []  # enclosing elements with a grid role, innermost last
        dls: list[Tag] = []  # enclosing <dl> elements, innermost last
        grids_open = 0  # enclosing tables or ARIA grids
        statements = 0  # enclosing p / li
        stack: list[tuple[Tag, bool]] = [(root, False)]
        while stack:
            tag, leaving = stack.pop()
            name = tag.name
            is_table, is_aria = name == "table", _is_grid_role(tag)
            if leaving:
                if is_table:
                    tables.pop()
                if is_aria:
                    arias.pop()
                if name == "dl":
                    dls.pop()
                grids_open -= is_table or is_aria
                statements -= name in ("p", "li")
                continue
            if name in HEADING_TAGS:
                level = int(name[1])
                while headings and headings[-1][0] >= level:
                    headings.pop()
                headings.append((level, tag))
            if name == "tr" and tables:
                self._rows.setdefault(id(tables[-1]), []).append(tag)
            elif tag.get("role") == "row" and arias:
                self._rows.setdefault(id(arias[-1]), []).append(tag)
            elif name in ("dt", "dd") and dls:
                self._terms.setdefault(id(dls[-1]), []).append(tag)
            if is_table or is_aria or name in self._INTEREST:
                self._outline[id(tag)] = tuple(h for _, h in reversed(headings))
                if tables and name in ("p", "li", "dl"):
                    self.in_table.add(id(tag))
            if name in ("p", "li"):
                statements += 1
                self.nesting[id(tag)] = statements
            if is_table or is_aria:
                if grids_open >= MAX_TABLE_DEPTH:
                    self.too_deep += 1
                elif len(self.grid_elements) + len(self.cards) >= MAX_GRIDS:
                    self.too_many += 1
                else:
                    self.grid_elements.append(("table" if is_table else "aria", tag))
                grids_open += 1
                if is_table:
                    tables.append(tag)
                if is_aria:
                    arias.append(tag)
            elif name == "dl":
                if len(dls) >= MAX_TABLE_DEPTH:
                    self.too_deep += 1
                elif len(self.grid_elements) + len(self.cards) >= MAX_GRIDS:
                    self.too_many += 1
                else:
                    self.cards.append(tag)
                dls.append(tag)
            stack.append((tag, True))
            stack.extend(
                (child, False) for child in reversed(tag.contents) if isinstance(child, Tag)
            )

    def outline(self, element: Tag) -> list[Tag]:
        """The headings ``element`` sits under, nearest first (an h3, then its h2, then its h1)."""
        known = self._outline.get(id(element))
        return list(known) if known is not None else outline(element)

    def rows(self, element: Tag) -> list[Tag]:
        """The rows of a table or ARIA grid, without those of the grids nested in it."""
        return self._rows.get(id(element), [])

    def terms(self, dl: Tag) -> list[tuple[Tag, Tag]]:
        """(``<dt>``, its ``<dd>``) pairs of a definition list, nested lists left out.

        A term's description is the next ``<dd>`` under the same parent (terms written one
        after another share it), found in one backward pass rather than a search per term.
        """
        pairs: list[tuple[Tag, Tag]] = []
        next_dd: dict[int, Tag] = {}
        for tag in reversed(self._terms.get(id(dl), [])):
            parent = id(tag.parent)
            if tag.name == "dd":
                next_dd[parent] = tag
            elif parent in next_dd:
                pairs.append((tag, next_dd[parent]))
        return pairs[::-1]

    def grids(self) -> list[Grid]:
        """Every grid read, in document order, with its outline, under ``MAX_DOCUMENT_CELLS``."""
        found: list[Grid] = []
        counts = {"table": 0, "aria": 0}
        budget = MAX_DOCUMENT_CELLS
        for kind, element in self.grid_elements:
            if budget <= 0:
                self.too_many += 1
                continue
            build = table_grid if kind == "table" else aria_grid
            grid = build(element, counts[kind], self.rows(element), min(budget, MAX_GRID_CELLS))
            counts[kind] += 1
            budget -= sum(len(r) for r in grid.rows)
            grid.outline = self.outline(element)
            found.append(grid)
        return found

    def refusals(self) -> list[str]:
        """What the caps kept out, in words, for a ParseIssue."""
        notes = []
        if self.too_deep:
            notes.append(
                f"{self.too_deep} table(s) nested more than {MAX_TABLE_DEPTH} deep were not read"
            )
        if self.too_many:
            notes.append(
                f"{self.too_many} table(s) past the first {MAX_GRIDS} (or past "
                f"{MAX_DOCUMENT_CELLS:,} cells) were not read"
            )
        return notes


def _span(cell: Tag, name: str) -> int:
    raw = str(cell.get(name) or "1").strip()
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= MAX_SPAN else 1


def table_grid(
    table: Tag, index: int, rows: list[Tag] | None = None, max_cells: int = MAX_GRID_CELLS
) -> Grid:
    """A ``<table>`` as a grid; rows of nested tables are left to those tables.

    ``rows`` are the table's own ``<tr>`` (from ``Layout``); without them they are searched for.
    Reading stops at ``max_cells`` cells, spans expanded (``Grid.truncated``).
    """
    grid = Grid("table", index, table)
    if rows is None:
        rows = [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]
    carried: dict[int, tuple[str, int]] = {}  # column -> (text, rows still covered)
    cells_read = 0
    for tr in rows:
        cells = tr.find_all(["td", "th"], recursive=False)
        row: list[str] = []
        position = 0
        column = 0
        while position < len(cells) or column in carried:
            if cells_read + len(row) >= max_cells:
                grid.truncated = True
                break
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
            for _ in range(min(_span(cell, "colspan"), max_cells - cells_read - len(row))):
                if rowspan > 1:
                    carried[column] = (text, rowspan - 1)
                row.append(text)
                column += 1
        if row:
            grid.rows.append(row)
            grid.header_rows.append(bool(cells) and all(c.name == "th" for c in cells))
            cells_read += len(row)
        if grid.truncated:
            break
    return grid


def aria_grid(
    element: Tag, index: int, rows: list[Tag] | None = None, max_cells: int = MAX_GRID_CELLS
) -> Grid:
    """An ARIA ``role="table"``/``"grid"`` element as a grid of its rows' cells."""
    grid = Grid("aria", index, element)
    if rows is None:
        rows = [
            row
            for row in element.find_all(attrs={"role": "row"})
            if row.find_parent(attrs={"role": _GRID_ROLES}) is element
        ]
    cells_read = 0
    for row in rows:
        cells = row.find_all(attrs={"role": _CELL_ROLES}, limit=max_cells - cells_read + 1)
        if not cells:
            continue
        if cells_read + len(cells) > max_cells:
            grid.truncated = True
            break
        grid.rows.append([text_of(c) for c in cells])
        grid.header_rows.append(all(c.get("role") == "columnheader" for c in cells))
        cells_read += len(cells)
    return grid


def grids(soup: BeautifulSoup | Tag) -> list[Grid]:
    """Every ``<table>`` and ARIA grid in document order (within the caps of ``Layout``)."""
    return Layout(soup).grids()


def heading_level(tag: Tag) -> int:
    return int(tag.name[1])


def outline(element: Tag) -> list[Tag]:
    """The headings ``element`` sits under, nearest first (an h3, then its h2, then its h1).

    This walks back through the document; ``Layout.outline`` answers the same from one pass.
    """
    path: list[Tag] = []
    level = 7
    for previous in element.previous_elements:
        if isinstance(previous, Tag) and previous.name in HEADING_TAGS:
            if heading_level(previous) < level:
                path.append(previous)
                level = heading_level(previous)
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
    just before it, nearest first, stopping at the previous table so no unit leaks across.

    At most ``LEAD_IN_STEPS`` elements are looked at: what introduces a table is close to it.
    """
    texts = [clean(str(element.get(attr) or "")) for attr in ("aria-label", "title", "summary")]
    caption = element.find("caption")
    if caption is not None:
        texts.append(text_of(caption))
    ancestors = {id(parent) for parent in element.parents}
    seen = 0
    for steps, previous in enumerate(element.previous_elements):
        if steps >= LEAD_IN_STEPS:
            break
        if not isinstance(previous, Tag) or id(previous) in ancestors:
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
