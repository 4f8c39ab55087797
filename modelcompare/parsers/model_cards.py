"""Model cards (Hugging Face READMEs, Meta's GitHub cards) -> model-level observations.

Why a card is read this way: a model card is the creator's own word on the model - license,
base model, release date, context length, modalities, benchmark scores - but it is written for
people, in Markdown with a YAML header. So the parser reads only what the card *states* in a
form that cannot be misread, and leaves the rest unknown:

- The YAML front matter (Hugging Face cards) is read with ``yaml.safe_load`` only, after these
  guards: front matter over ``MAX_FRONT_MATTER_BYTES`` is refused, and so is YAML nested deeper
  than ``MAX_FLOW_DEPTH`` (PyYAML is slow and recursive on deep nesting), YAML that uses
  aliases (an alias bomb fits in a few lines), YAML that repeats a key (which value is meant
  is unknown) and YAML that is not a mapping. Each refusal is a ParseIssue; the body is still
  read. ``_yaml.load`` does the checking.
- The body is bounded too: tables nested more than ``_html.MAX_TABLE_DEPTH`` deep, paragraphs
  and list items nested more than ``MAX_STATEMENT_DEPTH`` deep, and observations past
  ``MAX_CARD_OBSERVATIONS`` are not read (a ParseIssue says so), so a hostile card costs time
  in proportion to its size.
- The body is rendered to HTML with markdown-it (CommonMark plus tables; the HTML tables Meta
  writes pass through as they are) and its tables are read with BeautifulSoup *by header text*:
  a "Params" / "Context length" / "Knowledge cutoff" table describes models, a table with a
  "Benchmark" or "Evaluation" column (or a "Model" column beside benchmark columns) scores them.
- Single statements are read from paragraphs and list items: "Model Release Date: Sept 25,
  2024", "The pretraining data has a cutoff of December 2023", "A 128k context window",
  "with 24B parameters", key-feature bullets ("Vision:", "Reasoning:"), "[THINK]" tokens,
  "native function calling".

What is emitted (all ``subject="model"``, ``provider=None``):

- ``raw_id``: for a Hugging Face card, the repository id from the URL
  (``mistralai/Magistral-Small-2509``); table rows and benchmark columns are attributed to it
  only when they name *this* model (its size, its version, instruct or base). For a Meta card,
  the names the card's tables write: the model table's row label plus its size
  (``Llama 3.2-Vision 11B``, a parenthesised "(text only)" dropped), and each benchmark column
  header as written, with " Instruct" (or " Base") added when the column sits under an "Instruction tuned" (or "Base pretrained")
  heading and does not say so itself (``Llama 3.2 11B Instruct``), because the base and the
  instruct model are different models with different scores.
- ``license`` as written (front matter ``apache-2.0``, ``llama3.2``; a Meta card's "Llama 3.2
  Community License"). A Hugging Face card's license is taken from the front matter only: the
  body's "Apache 2.0 License" bullet is marketing text, and a body-only copy of a card (the
  bundled Magistral-Small-2506) therefore yields no license.
- ``release_date`` and ``knowledge_cutoff`` only from an explicit statement, as ``yyyy-mm-dd``,
  or ``yyyy-mm`` when the card names only a month. Nothing is inferred from a version number.
- ``context_window``: the value exactly as the card writes it, ``"128k"``, unit ``tokens``,
  with the sentence in ``note``. Decision: a card's "128k" is ambiguous (128,000 or 131,072),
  so the parser does not pick; the SQL macro ``parse_tokens`` reads a "k" as 1,000 and the
  conflict check tolerates 3 %, which keeps "128k" and 131,072 one fact.
- ``parameters`` in billions: the exact count when the card gives one ("11B (10.6)" -> 10.6),
  else the nominal size ("24B" -> 24); the raw text is in ``note``.
- ``vision``, ``reasoning``, ``tool_calling``, ``json_mode`` as ``true`` only on an explicit
  statement; ``vision`` is ``false`` only where the card's own "Input modalities" column lists
  text alone. Nothing is ever emitted as ``false`` for lack of a statement.
- ``benchmark``: qualifier ``"<benchmark>|<setting>"`` (setting: shots, metric, language, or a
  "pass@1" written in the header), value as written without "%", unit ``percent`` when the
  card writes "%", else ``score``.
- ``base_model``, ``open_weights``, ``name`` (the card's title) for Hugging Face cards.

``num_records`` is the number of models the card describes (one for a Hugging Face card; the
model-table rows for a Meta card).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import yaml
from bs4 import BeautifulSoup, Tag
from markdown_it import MarkdownIt

from modelcompare.archive import ArchivedResponse
from modelcompare.observations import (
    BASE_MODEL,
    BENCHMARK,
    CONTEXT_WINDOW,
    JSON_MODE,
    KNOWLEDGE_CUTOFF,
    LICENSE,
    MODEL,
    NAME,
    OPEN_WEIGHTS,
    PARAMETERS,
    REASONING,
    RELEASE_DATE,
    TOOL_CALLING,
    VISION,
    Observation,
    ParseIssue,
    ParseResult,
    SourceLayoutError,
)
from modelcompare.parsers import _html, _yaml
from modelcompare.parsers._common import storable

MAX_FRONT_MATTER_BYTES = 256 * 1024  # HF's own limit is far lower; anything bigger is not a card
MAX_CARD_BYTES = 5_000_000
MAX_FLOW_DEPTH = 64  # real front matter nests two or three levels
MAX_STATEMENT_DEPTH = 8  # paragraphs / list items inside more of them than this are not read
MAX_CARD_OBSERVATIONS = 20_000  # a real card states a few hundred facts
MAX_CARD_MODELS = 200  # model-table rows per card; Meta's cards have up to a dozen

_HF_URL = re.compile(r"^/([^/]+/[^/]+)/(?:raw|resolve)/[^/]+/README\.md$")
_MONTHS = {
    m: i
    for i, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for m in names
}
_DATE = re.compile(
    r"\b(?P<month>[A-Za-z]{3,9})\.?\s+(?:(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+)?"
    r"(?P<year>(?:19|20)\d{2})\b"
)
_ISO_DATE = re.compile(r"\b(20\d{2})-(0[1-9]|1[0-2])(?:-(\d{2}))?\b")
_RELEASE = re.compile(r"\brelease date\b\s*:?\s*(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
_CUTOFF = re.compile(r"\b(knowledge cutoff|data freshness|cutoff of)\b", re.IGNORECASE)
# (?<![\d,.]) starts a number only at its beginning: without it, "1,111,111,..." made the
# search restart after every comma and scan to the end each time (quadratic).
_CONTEXT = re.compile(
    r"(?<![\d,.])\b(?P<value>\d+(?:\.\d+)?\s?[kKmM]|\d{1,3}(?:,\d{3})+|\d{4,})(?:[- ]tokens?)?"
    r"\s+context\s+(?:window|length)\b"
)
_PARAMS_SENTENCE = re.compile(r"\b(?P<value>\d+(?:\.\d+)?)\s?B parameters\b")
_LABEL = re.compile(r"^\s*(?P<label>[^:]{1,60}?)\s*:")
_REASONING = re.compile(
    r"\[THINK\]|\bthink(?:ing)? tokens\b|\breasoning model\b|\bwith added reasoning capabilit",
    re.IGNORECASE,
)
_VISION = re.compile(r"\bvision encoder\b", re.IGNORECASE)
_TOOLS = re.compile(
    r"\bnative function calling\b"
    r"|\bsupports?\b[^.]{0,40}\b(?:tool[- ]use|tool calling|function calling)\b"
    r"|\bexcellent at function\s*/\s*tool calling\b",
    re.IGNORECASE,
)
_JSON = re.compile(r"\bJSON output(?:ting)?\b", re.IGNORECASE)
_LICENSE_NAME = re.compile(r"\b(Llama \d+(?:\.\d+)? Community License(?: Agreement)?)")
_SIZE = re.compile(r"\b(\d+(?:\.\d+)?)B\b")
_EXACT_SIZE = re.compile(r"\((\d+(?:\.\d+)?)\s?B?\)")
_SCORE = re.compile(r"^(?P<value>-?\d+(?:\.\d+)?)\s*(?P<pct>%?)$")
_SETTING_IN_HEADER = re.compile(r"^(?P<name>.+?)\s+(?P<setting>(?:pass|maj|cons)@\d+)$", re.I)
_DESCRIPTOR_HEADERS = re.compile(
    r"^(category|modality|capability|benchmark|evaluation|# ?shots|shots|metric|language|)$",
    re.IGNORECASE,
)


# --- reading the document ------------------------------------------------------------------
@dataclass
class _Table:
    index: int
    header: list[str]
    rows: list[list[str]]
    tuning: str | None  # "instruct" / "base" from the heading above, else None
    headings: list[str]


@dataclass
class _Statement:
    text: str
    element: Tag
    locator: str


@dataclass
class _Card:
    source: str
    url: str
    front: dict | None
    title: str | None
    tables: list[_Table]
    statements: list[_Statement]
    issues: list[ParseIssue] = field(default_factory=list)


def _read_card(response: ArchivedResponse) -> _Card:
    source, url = response.source, response.url
    body = response.body or b""
    if len(body) > MAX_CARD_BYTES:
        raise SourceLayoutError(f"{source}: {len(body)} bytes at {url} is too large for a card")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceLayoutError(f"{source}: card at {url} is not UTF-8 ({exc})") from exc
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    issues: list[ParseIssue] = []
    front_text, markdown = _split_front_matter(text, source, url)
    front = None
    if front_text is not None:
        front = _load_front_matter(front_text, source, issues)

    renderer = MarkdownIt("commonmark").enable("table")
    soup = BeautifulSoup(renderer.render(markdown), "html.parser")
    title_tag = soup.find("h1")
    title = _html.text_of(title_tag) if title_tag else None
    if not soup.find(_html.HEADING_TAGS) and not soup.find("table") and front is None:
        raise SourceLayoutError(f"{source}: no front matter, heading or table at {url}")
    layout = _html.Layout(soup)
    tables = _tables(layout)
    issues.extend(ParseIssue(source, "body", note) for note in layout.refusals())
    statements = _statements(soup, layout, issues, source)
    return _Card(source, url, front, title, tables, statements, issues)


def _split_front_matter(text: str, source: str, url: str) -> tuple[str | None, str]:
    if not re.match(r"^---[ \t]*\n", text):
        return None, text
    end = re.search(r"^(?:---|\.\.\.)[ \t]*$", text[3:], re.MULTILINE)
    if end is None:
        raise SourceLayoutError(f"{source}: front matter at {url} is never closed")
    start = text.index("\n") + 1
    return text[start : 3 + end.start()], text[3 + end.end() :]


def _load_front_matter(text: str, source: str, issues: list[ParseIssue]) -> dict | None:
    """The front matter as a mapping, or None (with a ParseIssue) when it must not be trusted."""
    size = len(text.encode("utf-8"))
    if size > MAX_FRONT_MATTER_BYTES:
        issues.append(
            ParseIssue(source, "front matter", f"front matter of {size} bytes refused (limit "
                       f"{MAX_FRONT_MATTER_BYTES})")
        )  # fmt: skip
        return None
    try:
        document = _yaml.load(text, allow_aliases=False, max_depth=MAX_FLOW_DEPTH)
    except _yaml.YamlRefused as exc:
        issues.append(ParseIssue(source, "front matter", f"front matter refused: {exc}"))
        return None
    except yaml.YAMLError as exc:
        issues.append(ParseIssue(source, "front matter", f"front matter is not YAML: {exc}"))
        return None
    if document.duplicates:
        line, key = document.duplicates[0]
        issues.append(
            ParseIssue(source, "front matter", f"front matter refused: key {key!r} is repeated "
                       f"(line {line}); which value the card means is unknown")
        )  # fmt: skip
        return None
    data = document.data
    if data is None:
        return {}
    if not isinstance(data, dict):
        issues.append(
            ParseIssue(source, "front matter", f"front matter is a {type(data).__name__}, "
                       "not a mapping")
        )  # fmt: skip
        return None
    return data


def _tuning(headings: list[str]) -> str | None:
    for heading in headings:
        if re.search(r"instruct", heading, re.IGNORECASE):
            return "instruct"
        if re.search(r"\bbase\b|pre-?trained", heading, re.IGNORECASE):
            return "base"
    return None


def _tables(layout: _html.Layout) -> list[_Table]:
    tables = []
    for grid in layout.grids():
        if grid.kind != "table" or len(grid.rows) < 2:
            continue
        headings = [_html.text_of(h) for h in grid.outline]
        header = [re.sub(r"\*+$", "", c).strip() for c in grid.rows[0]]
        tables.append(_Table(grid.index, header, grid.rows[1:], _tuning(headings), headings))
    return tables


def _statements(
    soup: BeautifulSoup, layout: _html.Layout, issues: list[ParseIssue], source: str
) -> list[_Statement]:
    found: list[_Statement] = []
    seen: set[str] = set()
    too_deep = 0
    for element in soup.find_all(["p", "li"]):
        if id(element) in layout.in_table:
            continue
        if layout.nesting.get(id(element), 0) > MAX_STATEMENT_DEPTH:
            too_deep += 1  # its text is already part of an enclosing statement's
            continue
        text = _html.clean(element.get_text())
        if not text or text in seen:
            continue
        seen.add(text)
        found.append(_Statement(text, element, f"{element.name}: {text[:60]!r}"))
    if too_deep:
        issues.append(
            ParseIssue(source, "body", f"{too_deep} paragraph(s) or list item(s) nested more "
                       f"than {MAX_STATEMENT_DEPTH} deep were not read on their own")
        )  # fmt: skip
    return found


# --- small readers -------------------------------------------------------------------------
def parse_date(text: str) -> str | None:
    """The first date a text states: "Sept 25, 2024" -> 2024-09-25, "December 2023" -> 2023-12."""
    for match in _DATE.finditer(text):
        month = _MONTHS.get(match.group("month").lower())
        if month is None:
            continue
        year = int(match.group("year"))
        if match.group("day") is None:
            return f"{year:04d}-{month:02d}"
        try:
            return dt.date(year, month, int(match.group("day"))).isoformat()
        except ValueError:
            return None
    iso = _ISO_DATE.search(text)
    if iso:
        if iso.group(3) is None:
            return f"{iso.group(1)}-{iso.group(2)}"
        try:
            return dt.date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3))).isoformat()
        except ValueError:
            return None
    return None


def _tokens(name: str) -> list[str]:
    """A model name as comparable words: "Llama-3.2-11B-Vision-Instruct" -> llama 3.2 11b ..."""
    name = name.lower().rsplit("/", 1)[-1]
    name = re.sub(r"\([^()]*\)", " ", name)  # [^()]: "((((..." stays linear
    return [t for t in re.split(r"[\s_\-*]+", name) if t and t != "meta"]


def _size_tokens(tokens: list[str]) -> set[str]:
    return {t for t in tokens if re.fullmatch(r"\d+(?:\.\d+)?b", t)}


def _label_of(text: str) -> str:
    match = _LABEL.match(text)
    return match.group("label").strip().lower() if match else ""


def _model_name(label: str, params: str) -> str:
    base = re.sub(r"\s*\([^()]*\)", "", label).strip()
    size = _SIZE.search(params)
    return f"{base} {size.group(1)}B" if size else base


def _params_value(params: str) -> str | None:
    exact = _EXACT_SIZE.search(params)
    if exact:
        return exact.group(1)
    size = _SIZE.search(params)
    return size.group(1) if size else None


class _Emitter:
    """Collects observations of one card, dropping exact repeats of one statement."""

    def __init__(self, source: str):
        self.source = source
        self.result = ParseResult()
        self._seen: set[tuple] = set()
        self.full = False

    def add(self, raw_id, attribute, value, unit, locator, note=None, qualifier=None) -> None:
        key = (raw_id, attribute, qualifier, value)
        if key in self._seen or self.full:
            return
        if len(self.result.observations) >= MAX_CARD_OBSERVATIONS:
            self.full = True
            self.issue(locator, f"more than {MAX_CARD_OBSERVATIONS:,} facts on one card; the "
                       "rest were not read")  # fmt: skip
            return
        self._seen.add(key)
        self.result.observations.append(
            Observation(
                source=self.source,
                raw_id=raw_id,
                attribute=attribute,
                value=value,
                unit=unit,
                subject=MODEL,
                qualifier=qualifier,
                locator=locator,
                note=note,
            )
        )

    def issue(self, locator: str, reason: str, raw_id: str | None = None) -> None:
        self.result.issues.append(ParseIssue(self.source, locator, reason, raw_id=raw_id))


# --- model tables --------------------------------------------------------------------------
@dataclass
class _ModelRow:
    name: str  # as the card writes it: label + size
    tokens: list[str]
    locator: str
    cells: dict[str, str]  # header -> text


def _column(header: list[str], pattern: str) -> int | None:
    for i, text in enumerate(header):
        if re.search(pattern, text, re.IGNORECASE):
            return i
    return None


def _model_rows(table: _Table) -> list[_ModelRow]:
    """Rows of a table that describes models (it has a "Params" column), else []."""
    params_col = _column(table.header, r"^params$|^parameters$")
    if params_col is None:
        return []
    label_col = next(
        (i for i, h in enumerate(table.header) if h == "" or re.search(r"\bmodel\b", h, re.I)),
        None,
    )
    rows = []
    label = ""
    for cells in table.rows:
        if len(cells) <= params_col:
            continue
        if label_col is not None and cells[label_col]:
            label = cells[label_col]  # an empty label cell continues the row above (Markdown)
        params = cells[params_col]
        if not label or not params:
            continue
        name = _model_name(label, params)
        rows.append(
            _ModelRow(
                name=name,
                tokens=_tokens(name),
                locator=f"table[{table.index}] row {name!r}",
                cells=dict(zip(table.header, cells, strict=False)),
            )
        )
    return rows


def _emit_model_row(emit: _Emitter, raw_id: str, row: _ModelRow) -> None:
    for header, text in row.cells.items():
        if not text:
            continue  # an empty cell is not a statement, even under a filled one
        lowered = header.lower()
        locator = f"{row.locator} column {header!r}"
        if re.fullmatch(r"params|parameters", lowered):
            value = _params_value(text)
            if value:
                emit.add(
                    raw_id, PARAMETERS, value, "params_billion", locator, note=f"card: {text!r}"
                )
        elif re.search(r"context (length|window)", lowered):
            emit.add(raw_id, CONTEXT_WINDOW, text, "tokens", locator, note=f"card: {text!r}")
        elif "knowledge cutoff" in lowered:
            date = parse_date(text)
            if date:
                emit.add(raw_id, KNOWLEDGE_CUTOFF, date, "date", locator, note=f"card: {text!r}")
        elif "input modalities" in lowered:
            has_image = bool(re.search(r"\bimages?\b", text, re.IGNORECASE))
            emit.add(
                raw_id, VISION, "true" if has_image else "false", "bool", locator,
                note=f"input modalities: {text!r}",
            )  # fmt: skip


# --- benchmark tables ----------------------------------------------------------------------
def _score(emit: _Emitter, raw_id: str, qualifier: str, text: str, locator: str) -> None:
    if _html.is_not_stated(text):
        return
    match = _SCORE.match(text.replace("**", "").strip())
    if match is None:
        emit.issue(locator, f"benchmark cell {text!r} is not a number", raw_id=raw_id)
        return
    unit = "percent" if match.group("pct") else "score"
    emit.add(raw_id, BENCHMARK, match.group("value"), unit, locator, qualifier=qualifier)


def _benchmark_columns(table: _Table) -> tuple[int, dict[str, int], list[int]] | None:
    """For a table with one row per benchmark: (benchmark column, descriptor columns, model
    columns), else None."""
    bench = _column(table.header, r"^(benchmark|evaluation)$")
    if bench is None:
        return None
    descriptors = {
        "shots": _column(table.header, r"shots"),
        "metric": _column(table.header, r"^metric$"),
        "language": _column(table.header, r"^language$"),
    }
    models = [i for i, h in enumerate(table.header) if not _DESCRIPTOR_HEADERS.match(h.strip())]
    return bench, {k: v for k, v in descriptors.items() if v is not None}, models


def _qualifier(benchmark: str, cells: list[str], descriptors: dict[str, int]) -> str:
    parts = []
    for key in ("shots", "metric", "language"):
        column = descriptors.get(key)
        text = cells[column] if column is not None and column < len(cells) else ""
        if text:
            parts.append(f"{text}-shot" if key == "shots" else text)
    return f"{benchmark}|{', '.join(parts)}"


def _column_model(header: str, table: _Table) -> tuple[str, list[str], bool]:
    """A benchmark column's model: (name as written + tuning, tokens, is_instruct)."""
    tokens = _tokens(header)
    instruct = "instruct" in tokens or table.tuning == "instruct"
    name = header
    if table.tuning == "instruct" and "instruct" not in tokens:
        name = f"{header} Instruct"
    elif table.tuning == "base" and "base" not in tokens:
        # The pretrained model's scores are not the instruct model's: under a "Base
        # pretrained" heading, "Llama 3.2 11B" is the base model, named so.
        name = f"{header} Base"
    return name, tokens, instruct


def _benchmarks_by_row(table: _Table, emit: _Emitter, pick) -> None:
    """Tables with one row per benchmark and one column per model (Meta's, Mistral 2501's).

    ``pick(header, table)`` returns the raw_id a model column is attributed to, or None.
    """
    layout = _benchmark_columns(table)
    if layout is None:
        return
    bench_col, descriptors, model_cols = layout
    # A Markdown table cannot span rows, so Meta leaves the benchmark cell empty on the rows
    # that continue it (one row per language); the name carries down, like a rowspan would.
    benchmarks = []
    current = ""
    for cells in table.rows:
        if bench_col < len(cells) and cells[bench_col]:
            current = cells[bench_col]
        benchmarks.append(current)
    for column in model_cols:
        raw_id = pick(table.header[column], table)
        if raw_id is None:
            continue
        for benchmark, cells in zip(benchmarks, table.rows, strict=True):
            if column >= len(cells) or not benchmark:
                continue
            qualifier = _qualifier(benchmark, cells, descriptors)
            locator = f"table[{table.index}] row {benchmark!r} column {table.header[column]!r}"
            if cells[bench_col] != benchmark:
                locator += f" ({_qualifier('', cells, descriptors)[1:]})"
            _score(emit, raw_id, qualifier, cells[column], locator)


def _benchmarks_by_column(table: _Table, emit: _Emitter, raw_id: str, row_matches) -> None:
    """Tables with one row per model and one column per benchmark (Mistral's Magistral cards)."""
    model_col = _column(table.header, r"^models?$")
    if model_col is None or _column(table.header, r"^params$|^parameters$") is not None:
        return
    for cells in table.rows:
        if model_col >= len(cells) or not row_matches(cells[model_col]):
            continue
        for column, header in enumerate(table.header):
            if column == model_col or column >= len(cells) or not header:
                continue
            setting = _SETTING_IN_HEADER.match(header)
            qualifier = (
                f"{setting.group('name')}|{setting.group('setting')}" if setting else f"{header}|"
            )
            locator = f"table[{table.index}] row {cells[model_col]!r} column {header!r}"
            _score(emit, raw_id, qualifier, cells[column], locator)


# --- statements ----------------------------------------------------------------------------
def _release_dates(statement: _Statement) -> list[tuple[str | None, str, str]]:
    """(size or None, date, raw text) for a "Model Release Date" statement.

    A date on the line itself applies to the whole card; an empty label followed by a list
    ("70B Instruct: December 6, 2024") dates each listed size.
    """
    match = _RELEASE.search(statement.text)
    if not match:
        return []
    date = parse_date(match.group("rest"))
    if date:
        return [(None, date, statement.text)]
    following = statement.element.find_next_sibling()
    if following is None or following.name not in ("ul", "ol"):
        return []
    dated = []
    for item in following.find_all("li", limit=100):
        text = _html.clean(item.get_text())
        date = parse_date(text)
        size = _SIZE.search(text.split(":")[0])
        if date:
            dated.append((f"{size.group(1)}B" if size else None, date, text))
    return dated


def _capabilities(statement: _Statement) -> list[tuple[str, str]]:
    """(attribute, note) for the capabilities a statement claims explicitly."""
    text, label = statement.text, _label_of(statement.text)
    found = []
    if label == "vision" or _VISION.search(text):
        found.append((VISION, text))
    if label == "reasoning" or _REASONING.search(text):
        found.append((REASONING, text))
    if _TOOLS.search(text):
        found.append((TOOL_CALLING, text))
    if _JSON.search(text):
        found.append((JSON_MODE, text))
    return found


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- Hugging Face cards --------------------------------------------------------------------
def parse_hf_card(response: ArchivedResponse) -> ParseResult:
    """One Hugging Face README: observations about the model of that repository."""
    parts = urlsplit(response.url)
    match = _HF_URL.match(parts.path) if parts.hostname == "huggingface.co" else None
    if match is None:
        raise SourceLayoutError(
            f"{response.source}: {response.url} is not a Hugging Face README URL"
        )
    repo_id = match.group(1)
    card = _read_card(response)
    emit = _Emitter(response.source)
    emit.result.issues.extend(card.issues)
    repo_tokens = _tokens(repo_id)
    repo_sizes = _size_tokens(repo_tokens)
    repo_instruct = "instruct" in repo_tokens

    _emit_front_matter(emit, repo_id, card.front)
    if card.title:
        name = re.sub(r"^model card for\s+", "", card.title, flags=re.IGNORECASE)
        emit.add(repo_id, NAME, name, "text", "h1", note=f"card title: {card.title!r}")

    for table in card.tables:
        for row in _model_rows(table):
            # A row describes this repository's model when its name and size are this repo's.
            if repo_sizes & _size_tokens(row.tokens) and set(row.tokens) <= set(repo_tokens):
                _emit_model_row(emit, repo_id, row)

    def pick_column(header: str, table: _Table) -> str | None:
        _, tokens, instruct = _column_model(header, table)
        words = set(tokens) - {"instruct"}
        if instruct != repo_instruct or not (repo_sizes & words):
            return None
        return repo_id if words <= set(repo_tokens) else None

    def row_matches(label: str) -> bool:
        return _names_this_model(label, card, repo_tokens)

    for table in card.tables:
        _benchmarks_by_row(table, emit, pick_column)
        _benchmarks_by_column(table, emit, repo_id, row_matches)

    for statement in card.statements:
        _emit_statement(emit, repo_id, statement, sizes=repo_sizes)
        context = _CONTEXT.search(statement.text)
        if context:
            emit.add(
                repo_id, CONTEXT_WINDOW, context.group("value").replace(" ", ""), "tokens",
                statement.locator, note=_short(statement.text),
            )  # fmt: skip
        params = _PARAMS_SENTENCE.search(statement.text)
        if params:
            emit.add(
                repo_id, PARAMETERS, params.group("value"), "params_billion", statement.locator,
                note=_short(statement.text),
            )  # fmt: skip
        for attribute, note in _capabilities(statement):
            emit.add(repo_id, attribute, "true", "bool", statement.locator, note=_short(note))

    emit.result.num_records = 1
    return storable(emit.result)


def _names_this_model(label: str, card: _Card, repo_tokens: list[str]) -> bool:
    """Whether a benchmark row label names the card's own model.

    The card's title is its name for the model ("Magistral Small 1.2"); a label matches it
    exactly, or matches it without its trailing version when the card lists only one version
    (the 2506 card's "Magistral Small" row under the title "Magistral Small 1.0"), or matches
    the repository name.
    """
    label_tokens = _tokens(label)
    if label_tokens == repo_tokens:
        return True
    if not card.title:
        return False
    title = re.sub(r"^model card for\s+", "", card.title, flags=re.IGNORECASE)
    title_tokens = _tokens(title)
    if label_tokens == title_tokens:
        return True
    unversioned = title_tokens[:-1] if re.fullmatch(r"v?\d+(\.\d+)*", title_tokens[-1]) else None
    return unversioned is not None and label_tokens == unversioned


def _emit_front_matter(emit: _Emitter, repo_id: str, front: dict | None) -> None:
    if not front:
        return
    license_value = front.get("license")
    eu_note = (
        "; extra_gated_eu_disallowed: true"
        if front.get("extra_gated_eu_disallowed") is True
        else ""
    )
    licenses = license_value if isinstance(license_value, list) else [license_value]
    for value in licenses:
        if isinstance(value, str) and value.strip():
            emit.add(repo_id, LICENSE, value.strip(), "text", "front matter: license",
                     note=f"front matter license{eu_note}")  # fmt: skip
    base = front.get("base_model")
    for value in base if isinstance(base, list) else [base]:
        if isinstance(value, str) and value.strip():
            emit.add(repo_id, BASE_MODEL, value.strip(), "text", "front matter: base_model")
    if front.get("pipeline_tag") == "image-text-to-text":
        emit.add(repo_id, VISION, "true", "bool", "front matter: pipeline_tag",
                 note="pipeline_tag: image-text-to-text")  # fmt: skip
    # Open weights: a Hugging Face repository whose card declares both a license and the
    # library that loads its files is a weights release under that license. A card without
    # front matter (a copy of the body only) does not say, and no card is read as "false".
    library = front.get("library_name")
    if isinstance(license_value, str) and license_value.strip() and isinstance(library, str):
        emit.add(repo_id, OPEN_WEIGHTS, "true", "bool", "front matter: license, library_name",
                 note=f"license {license_value!r}, library_name {library!r}")  # fmt: skip


def _emit_statement(emit: _Emitter, raw_id: str, statement: _Statement, *, sizes: set[str]):
    """Release date and knowledge cutoff statements about ``raw_id``."""
    _emit_dated(emit, raw_id, statement, _dated_facts(statement), sizes=sizes)


def _dated_facts(statement: _Statement) -> tuple[list[tuple[str | None, str, str]], str | None]:
    """What a statement dates: (release dates by size, knowledge cutoff or None)."""
    cutoff = parse_date(statement.text) if _CUTOFF.search(statement.text) else None
    return _release_dates(statement), cutoff


def _emit_dated(emit: _Emitter, raw_id: str, statement: _Statement, dated, *, sizes: set[str]):
    releases, cutoff = dated
    for size, date, text in releases:
        if size is None or size.lower() in sizes:
            emit.add(raw_id, RELEASE_DATE, date, "date", statement.locator, note=_short(text))
    if cutoff:
        emit.add(raw_id, KNOWLEDGE_CUTOFF, cutoff, "date", statement.locator,
                 note=_short(statement.text))  # fmt: skip


# --- Meta's GitHub cards -------------------------------------------------------------------
def parse_meta_card(response: ArchivedResponse) -> ParseResult:
    """One of Meta's GitHub model cards: observations about each model its tables name."""
    card = _read_card(response)
    emit = _Emitter(response.source)
    emit.result.issues.extend(card.issues)

    models: dict[str, _ModelRow] = {}
    for table in card.tables:
        for row in _model_rows(table):
            if row.name not in models and len(models) >= MAX_CARD_MODELS:
                emit.issue(row.locator, f"more than {MAX_CARD_MODELS} models on one card; "
                           "the rest were not read")  # fmt: skip
                break
            models.setdefault(row.name, row)
            _emit_model_row(emit, row.name, row)
    if not models:
        raise SourceLayoutError(
            f"{response.source}: no model table (a 'Params' column) at {response.url}"
        )

    def pick_column(header: str, table: _Table) -> str | None:
        name, tokens, _ = _column_model(header, table)
        return name if _size_tokens(tokens) else None

    for table in card.tables:
        _benchmarks_by_row(table, emit, pick_column)

    sizes = {name: _size_tokens(row.tokens) for name, row in models.items()}
    for statement in card.statements:
        dated = _dated_facts(statement)  # read once, then attributed to each model
        for name in models:
            _emit_dated(emit, name, statement, dated, sizes=sizes[name])
        if re.match(r"license\b", statement.text, re.IGNORECASE):
            license_name = _LICENSE_NAME.search(statement.text)
            if license_name:
                for name in models:
                    emit.add(name, LICENSE, license_name.group(1), "text", statement.locator,
                             note=_short(statement.text))  # fmt: skip

    emit.result.num_records = len(models)
    return storable(emit.result)
