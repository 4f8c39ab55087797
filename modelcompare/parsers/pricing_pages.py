"""Provider pricing pages (HTML) -> offering price observations.

Why it reads the way it does: pricing pages are redesigned often and never agree on markup. The
same "Input / Cached input / Output" table shows up as a plain ``<table>``, as an ARIA grid of
``<div>``s, or as one card per model with a ``<dl>`` of labels and values, and columns move
around (case C03: a parser that read columns by position swapped input and output). So every
price is found by the *text of its label* - the column header, or the ``<dt>`` - and never by
position; a reordered table parses to the same observations.

What each observation holds:

- ``provider``: from the page's host (``PROVIDER_BY_HOST``); ``raw_id``: the model name or id as
  the page writes it; ``region``: from a region heading above the table when the page states
  one (an AWS code such as ``us-east-1`` when the heading holds one, else the heading's text
  after "Region:").
- ``value``: the exact decimal text of the price without "$" or thousands separators
  ("$15.00" -> "15.00"); ``unit``: named from the cell ("$0.15 / 1M tokens"), else the column
  label ("Price per 1,000 input tokens"), else the caption, ARIA label, or the headings and
  paragraphs just above the table ("Prices per 1M tokens."). Nothing is converted: a page that
  prices per 1,000 tokens gives ``usd_per_1k_tokens`` and SQL does the arithmetic. A price with
  no stated unit is not emitted; it becomes a ParseIssue.
- Column labels: "Cached input" / "Cache read" / "Cache hit" -> ``price_cache_read``; "Cache
  write" -> ``price_cache_write``; "Input" / "Prompt" -> ``price_input``; "Output" /
  "Completion" -> ``price_output``; a "Batch" label or a table under a "Batch" heading makes
  input/output ``price_batch_input`` / ``price_batch_output``.

Checks at birth: a row whose cached-input (or batch-input) price is above its input price is
still emitted - the page did say it - and a ParseIssue names the breach so the row can be
reviewed (SQL checks the same rule again). A page with no table at all, or with tables none of
which has an Input or Output column, raises ``SourceLayoutError``: that is a redesign to look
at, not a provider that stopped selling.

The bundled ``page_*`` responses are made fixtures, not recordings (see
``tests/fixtures/pricing_pages/``); this parser is verified on those only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from modelcompare.archive import ArchivedResponse
from modelcompare.observations import (
    OFFERING,
    PRICE_BATCH_INPUT,
    PRICE_BATCH_OUTPUT,
    PRICE_CACHE_READ,
    PRICE_CACHE_WRITE,
    PRICE_INPUT,
    PRICE_OUTPUT,
    Observation,
    ParseIssue,
    ParseResult,
    SourceLayoutError,
)
from modelcompare.parsers import _html
from modelcompare.parsers._common import check_magnitude, short_repr, storable

# Keep in sync with the page URLs in modelcompare/sources.py and registry/providers.yaml.
PROVIDER_BY_HOST = {
    "aws.amazon.com": "aws-bedrock",
    "mistral.ai": "mistral",
    "together.ai": "together",
    "groq.com": "groq",
    "deepinfra.com": "deepinfra",
    "platform.openai.com": "openai",
    "openai.com": "openai",
}
MAX_BODY_BYTES = 20_000_000  # a pricing page is a few hundred KB; more is not a pricing page
MAX_OBSERVATIONS = 50_000  # prices read from one page; a real one states a few thousand at most
# Charsets a page may declare that we decode as declared; any other is read as UTF-8 with an
# issue (UTF-7 and friends can smuggle markup past a reader that trusts the label).
_CHARSETS = {
    "utf-8": "utf-8", "utf8": "utf-8", "us-ascii": "ascii", "ascii": "ascii",
    "iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "windows-1252": "cp1252",
    "cp1252": "cp1252", "iso-8859-15": "iso-8859-15",
}  # fmt: skip
_SINGLE_BYTE = frozenset({"cp1252", "iso-8859-15"})
_CHARSET = re.compile(rb"""charset\s*=\s*["']?([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE)

_MODEL_LABEL = re.compile(r"\b(models?|name|model id|id)\b", re.IGNORECASE)
_AWS_REGION = re.compile(r"\b((?:us|eu|ap|ca|sa|me|af|il|mx)(?:-gov)?-[a-z]+-\d)\b")
_REGION_LABEL = re.compile(r"^\s*region\s*:\s*(.+)$", re.IGNORECASE)
_BATCH = re.compile(r"\bbatch\b", re.IGNORECASE)
_CACHE = re.compile(r"\bcache[ds]?\b")
_CACHE_WRITE = re.compile(r"\b(write|writes|creation)\b")
_INPUT_ATTRS = (PRICE_INPUT, PRICE_OUTPUT, PRICE_BATCH_INPUT, PRICE_BATCH_OUTPUT)


def price_attribute(label: str, *, batch_section: bool = False) -> str | None:
    """The price attribute a column label or ``<dt>`` names, or None for other columns."""
    text = label.lower()
    # "cache ... write": two searches, not one ``cache.*write`` pattern, which backtracks over the
    # whole label at every "cache" and made a label of "cache " * 20000 take half a minute.
    cache = _CACHE.search(text)
    if cache and _CACHE_WRITE.search(text, cache.end()):
        return PRICE_CACHE_WRITE
    if cache:
        return PRICE_CACHE_READ
    batch = batch_section or bool(_BATCH.search(text))
    if re.search(r"\b(input|prompt)\b", text):
        return PRICE_BATCH_INPUT if batch else PRICE_INPUT
    if re.search(r"\b(output|completion)\b", text):
        return PRICE_BATCH_OUTPUT if batch else PRICE_OUTPUT
    return None


@dataclass
class _Row:
    """One priced line of a page: a table row or a card."""

    raw_id: str
    locator: str
    cells: list[tuple[str, str, str]]  # (column label, cell text, attribute)
    unit_by_label: dict[str, tuple[str | None, str]]
    context_unit: tuple[str | None, str]
    region: str | None


def parse_pricing_page(response: ArchivedResponse) -> ParseResult:
    source, url = response.source, response.url
    provider = _provider(source, url)
    body = response.body or b""
    if len(body) > MAX_BODY_BYTES:
        raise SourceLayoutError(f"{source}: {len(body)} bytes at {url} is too large for a page")
    result = ParseResult()
    text, decoding_issue = decode_page(body, response.content_type)
    if decoding_issue:
        result.issues.append(ParseIssue(source, "body", decoding_issue))
    layout = _html.Layout(_html.make_soup(text))

    found_tables = 0
    priced_tables = 0
    rows: list[_Row] = []
    for grid in layout.grids():
        found_tables += 1
        grid_rows = _rows_of_grid(grid, layout)
        if grid_rows is not None:
            priced_tables += 1
            rows.extend(grid_rows)
        if grid.truncated:
            result.issues.append(
                ParseIssue(source, grid.label, f"more than {_html.MAX_GRID_CELLS:,} cells; "
                           "only the first rows were read")
            )  # fmt: skip
    for index, dl in enumerate(layout.cards):
        found_tables += 1
        card = _row_of_card(dl, index, layout)
        if card is not None:
            priced_tables += 1
            rows.append(card)
    refused = "; ".join(layout.refusals())
    if refused:
        result.issues.append(ParseIssue(source, "page", refused))
    if not found_tables:
        raise SourceLayoutError(
            f"{source}: no price table found at {url}" + (f" ({refused})" if refused else "")
        )
    if not priced_tables:
        raise SourceLayoutError(
            f"{source}: {found_tables} table(s) at {url} but none has an Input or Output price "
            "column; the page layout changed"
        )

    for row in rows:
        if len(result.observations) >= MAX_OBSERVATIONS:
            result.issues.append(
                ParseIssue(source, row.locator, f"more than {MAX_OBSERVATIONS:,} prices on one "
                           "page; the rest were not read")
            )  # fmt: skip
            break
        emitted = _emit_row(source, provider, row, result)
        result.num_records += bool(emitted)
    return storable(result)


def decode_page(body: bytes, content_type: str | None) -> tuple[str, str | None]:
    """The page as text, and an issue when its bytes are not what its charset says.

    The charset comes from the Content-Type header, else a ``<meta>`` in the first 2 KB, else
    UTF-8. A page declared as a single-byte charset whose bytes are valid UTF-8 with non-ASCII
    characters was mislabelled (the usual lie) and is read as UTF-8; bytes that do not decode
    are replaced with U+FFFD. Either way the issue says so, since names may be damaged.
    """
    declared = None
    for where in ((content_type or "").encode("latin-1", "replace"), body[:2048]):
        match = _CHARSET.search(where)
        if match:
            declared = match.group(1).decode("ascii").lower()
            break
    codec = _CHARSETS.get(declared or "utf-8")
    issue = None
    if codec is None:
        issue = f"declared charset {declared!r} is not one we read; read as UTF-8"
        codec = "utf-8"
    if codec in _SINGLE_BYTE and not body.isascii():
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return text, f"declared charset {declared!r} but the bytes are UTF-8; read as UTF-8"
    try:
        return body.decode(codec), issue
    except UnicodeDecodeError as exc:
        text = body.decode(codec, errors="replace")
        lost = text.count("\ufffd")
        return text, (
            f"body is not valid {declared or 'UTF-8'} ({exc.reason} at byte {exc.start}); "
            f"{lost} character(s) replaced with U+FFFD, names may be damaged"
        )


def _provider(source: str, url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    host = host.removeprefix("www.")
    if host not in PROVIDER_BY_HOST:
        raise SourceLayoutError(
            f"{source}: no provider known for host {host!r} ({url}); add it to PROVIDER_BY_HOST"
        )
    return PROVIDER_BY_HOST[host]


def _region(element, layout: _html.Layout) -> str | None:
    """The region a heading above ``element`` states, or None when the page states none."""
    for heading in layout.outline(element):
        text = _html.text_of(heading)
        code = _AWS_REGION.search(text)
        if code:
            return code.group(1)
        label = _REGION_LABEL.match(text)
        if label:
            return label.group(1).strip()
    return None


def _context(element, layout: _html.Layout) -> tuple[list[str], bool]:
    """Texts that may state the unit, and whether the table sits under a "Batch" heading."""
    lead = _html.lead_in(element)
    headings = [_html.text_of(h) for h in layout.outline(element)]
    nearest = headings[:1] + lead[:2]
    batch = any(_BATCH.search(t) for t in nearest)
    return lead + headings, batch


def _rows_of_grid(grid: _html.Grid, layout: _html.Layout) -> list[_Row] | None:
    """The priced rows of one grid, or None when no row of it names a price column."""
    context, batch_section = _context(grid.element, layout)
    context_unit = _html.first_unit(context)
    header_at = None
    for i, cells in enumerate(grid.rows[:5]):
        if any(price_attribute(c, batch_section=batch_section) in _INPUT_ATTRS for c in cells):
            header_at = i
            break
    if header_at is None:
        return None
    header = grid.rows[header_at]
    attributes = [price_attribute(c, batch_section=batch_section) for c in header]
    model_columns = [
        i for i, c in enumerate(header) if attributes[i] is None and _MODEL_LABEL.search(c)
    ]
    if not model_columns:
        # No "Model" header: the name column is the first one that is not a price column.
        model_columns = [i for i, a in enumerate(attributes) if a is None][:1]
    if not model_columns:
        return None
    model_col = model_columns[0]
    region = _region(grid.element, layout)
    unit_by_label = {label: (_html.price_unit(label), label) for label in header}

    rows: list[_Row] = []
    for r, cells in enumerate(grid.rows[header_at + 1 :], start=header_at + 1):
        if cells == header or len(set(cells)) == 1:
            continue  # a repeated header, or a group label spanning the row
        raw_id = cells[model_col] if model_col < len(cells) else ""
        if not raw_id:
            continue
        priced = [
            (header[c], cells[c], attributes[c])
            for c in range(min(len(header), len(cells)))
            if attributes[c] is not None
        ]
        rows.append(
            _Row(
                raw_id=raw_id,
                locator=f"{grid.label} row {r}",
                cells=priced,
                unit_by_label=unit_by_label,
                context_unit=context_unit,
                region=region,
            )
        )
    return rows


def _row_of_card(dl, index: int, layout: _html.Layout) -> _Row | None:
    """A card: the nearest heading names the model, its ``<dt>``/``<dd>`` pairs the prices."""
    context, batch_section = _context(dl, layout)
    pairs: list[tuple[str, str, str]] = []
    for dt_tag, dd_tag in layout.terms(dl):
        label = _html.text_of(dt_tag)
        attribute = price_attribute(label, batch_section=batch_section)
        if attribute is not None:
            pairs.append((label, _html.text_of(dd_tag), attribute))
    if not any(a in _INPUT_ATTRS for _, _, a in pairs):
        return None
    headings = layout.outline(dl)
    if not headings:
        return None
    return _Row(
        raw_id=_html.text_of(headings[0]),
        locator=f"dl[{index}]",
        cells=pairs,
        unit_by_label={label: (_html.price_unit(label), label) for label, _, _ in pairs},
        context_unit=_html.first_unit(context),
        region=_region(dl, layout),
    )


def _emit_row(source: str, provider: str, row: _Row, result: ParseResult) -> int:
    emitted: dict[str, tuple[Decimal, str, str]] = {}
    for label, text, attribute in row.cells:
        locator = f"{row.locator}: {row.raw_id} / {label}"
        if _html.is_not_stated(text):
            continue
        value = _html.money(text)
        if value is None:
            result.issues.append(
                ParseIssue(
                    source, locator, f"no price in cell {short_repr(text)}", raw_id=row.raw_id
                )
            )
            continue
        try:
            check_magnitude(Decimal(value), value)
        except ValueError as exc:
            result.issues.append(ParseIssue(source, locator, str(exc), raw_id=row.raw_id))
            continue
        unit, said = _unit_for(text, label, row)
        if unit is None:
            result.issues.append(
                ParseIssue(
                    source,
                    locator,
                    f"price {value} has no stated unit (cell {short_repr(text)}, column "
                    f"{short_repr(label)})",
                    raw_id=row.raw_id,
                )
            )
            continue
        result.observations.append(
            Observation(
                source=source,
                raw_id=row.raw_id,
                attribute=attribute,
                value=value,
                unit=unit,
                subject=OFFERING,
                provider=provider,
                region=row.region,
                locator=locator,
                note=None if said == text else f"unit from {said!r}",
            )
        )
        try:
            emitted[attribute] = (Decimal(value) / _html.TOKENS_PER_UNIT[unit], value, unit)
        except InvalidOperation:  # pragma: no cover - money() only returns decimal text
            pass
    _check_row(source, row, emitted, result)
    return len(emitted)


def _unit_for(text: str, label: str, row: _Row) -> tuple[str | None, str]:
    unit = _html.price_unit(text)
    if unit:
        return unit, text
    unit, said = row.unit_by_label.get(label, (None, ""))
    if unit:
        return unit, said
    return row.context_unit


def _check_row(
    source: str, row: _Row, prices: dict[str, tuple[Decimal, str, str]], result: ParseResult
) -> None:
    """Flag prices that cannot both be right: a discount above the price it discounts."""
    base = prices.get(PRICE_INPUT)
    if base is None:
        return
    for attribute, name in ((PRICE_CACHE_READ, "cached input"), (PRICE_BATCH_INPUT, "batch input")):
        other = prices.get(attribute)
        if other is not None and other[0] > base[0]:
            result.issues.append(
                ParseIssue(
                    source,
                    row.locator,
                    f"{name} price {other[1]} {other[2]} is above the input price "
                    f"{base[1]} {base[2]} for {row.raw_id}; a {name} price must not exceed "
                    "the input price (row kept, flagged for review)",
                    raw_id=row.raw_id,
                )
            )
