"""Helpers shared by the structured-data parsers (JSON, TOML, YAML sources).

Two promises every parser makes rest on this module. First, a number is recorded as the exact text
of the value the source wrote: JSON and YAML are read with ``Decimal`` for non-integers, never
``float``, so ``0.000000049`` or ``0.50`` reach the database unchanged. Second, nothing is lost
silently: a field that cannot be read becomes a ``ParseIssue`` and the rest of the record is kept,
and a record that cannot be read at all is dropped whole (with an issue) so that no half-read
record pretends to be complete.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import reprlib
import string
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from modelcompare.archive import ArchivedResponse
from modelcompare.observations import (
    MODEL,
    Observation,
    ParseIssue,
    ParseResult,
    SourceLayoutError,
)

# Attributes the structured sources state that observations.py does not name yet. Proposed for
# the shared vocabulary (observations.py, sql/, README "Attributes"); kept here until then.
MATCH_RULE = "match_rule"  # unit "text": genai-prices' rule matching request model names, as JSON
FAMILY = "family"  # unit "text": a source's own family label ("magistral", "gpt")

# Errors that mean "this record (or field) is not what the parser expects", as opposed to a bug.
RECORD_ERRORS = (KeyError, TypeError, ValueError, AttributeError, ArithmeticError)

_DATE_TEXT = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")

# The range of numbers the warehouse holds exactly. Prices are cast to DECIMAL(38, 18) and a
# per-token price is multiplied by a million, so anything from 1e14 up overflows the SQL, and
# anything non-zero below 1e-18 would be read as 0 (a free model). No price, limit, score or
# size we read comes near either end; such a number is an error in the source, or hostile.
MAX_MAGNITUDE = Decimal("1e14")
MIN_MAGNITUDE = Decimal("1e-18")
# JSON integers longer than this are read as Decimal: Python refuses to turn more than 4300
# digits into an int (a ValueError that would fail the whole response), and none of ours is long.
_MAX_INT_DIGITS = 40
# Values quoted in issue messages are cut short: a value can be megabytes long, or a YAML alias
# graph whose full repr would be exponential in size.
_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother = 3, 120, 120
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = _SHORT.maxset = 6


def short_repr(value: Any) -> str:
    """``repr(value)`` cut to a bounded size, safe on huge or shared nested values."""
    return _SHORT.repr(value)


def _json_int(text: str) -> int | Decimal:
    return int(text) if len(text.lstrip("-")) <= _MAX_INT_DIGITS else Decimal(text)


def load_json(response: ArchivedResponse, source: str) -> Any:
    """The response body as JSON, non-integers as ``Decimal``; a layout error when it is not JSON."""
    if not response.body:
        raise SourceLayoutError(f"{source}: empty response body from {response.url}")
    try:
        return json.loads(response.body.decode("utf-8"), parse_float=Decimal, parse_int=_json_int)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceLayoutError(
            f"{source}: response from {response.url} is not JSON ({exc})"
        ) from exc
    except RecursionError as exc:  # the decoder recurses once per nested array or object
        raise SourceLayoutError(
            f"{source}: response from {response.url} nests JSON arrays or objects too deeply "
            "to read"
        ) from exc


def require(condition: bool, source: str, message: str) -> None:
    """Raise the layout error a parser gives when a whole response has the wrong shape."""
    if not condition:
        raise SourceLayoutError(f"{source}: {message}")


def number_text(value: Any) -> str:
    """The exact text of a number the source wrote; ``ValueError`` if it is not a number >= 0.

    Strings are returned as written (OpenRouter's ``"0.000000049"``), JSON/TOML/YAML numbers as
    ``str(Decimal)`` (``3.5e-07`` reads as ``Decimal("3.5E-7")``). A negative value is refused:
    no price, limit or score we read can be negative, and sentinels are handled before this.
    """
    if isinstance(value, bool) or value is None or isinstance(value, float):
        raise ValueError(f"not an exact number: {short_repr(value)}")
    if isinstance(value, int | Decimal):
        text, number = str(value), Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        # Decimal() also reads "1_000" and digits of other scripts ("١٢٣"); a source does not
        # write prices that way, and SQL would not read them.
        if not text.isascii() or "_" in text:
            raise ValueError(f"not a number: {short_repr(value)}")
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError(f"not a number: {short_repr(value)}") from exc
    else:
        raise ValueError(f"not a number: {short_repr(value)}")
    if not number.is_finite() or number < 0:
        raise ValueError(f"not a finite number >= 0: {short_repr(value)}")
    check_magnitude(number, text)
    return text


def check_magnitude(number: Decimal, text: str) -> None:
    """``ValueError`` for a number outside the range the warehouse holds exactly."""
    if number >= MAX_MAGNITUDE or (number and abs(number) < MIN_MAGNITUDE):
        raise ValueError(
            f"out of range: {short_repr(text)} (a number must be 0 or between "
            f"{MIN_MAGNITUDE} and {MAX_MAGNITUDE})"
        )


def bool_text(value: Any) -> str:
    if not isinstance(value, bool):
        raise ValueError(f"not a boolean: {value!r}")
    return "true" if value else "false"


def date_text(value: Any) -> str:
    """An ISO date (``yyyy-mm-dd``, or ``yyyy-mm`` where the source gives only a month).

    Only the shape is checked here: a date that does not exist (models.dev writes "2025-25-11")
    is kept as written, and SQL flags the row ``unparseable`` so it never becomes a fact.
    """
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and _DATE_TEXT.match(value.strip()):
        return value.strip()
    raise ValueError(f"not a date: {short_repr(value)}")


def to_date(value: Any) -> dt.date | None:
    """A full date for ``valid_from`` / ``valid_to`` / ``as_of`` columns; None stays None."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _DATE_TEXT.match(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(f"not a date: {short_repr(value)} ({exc})") from exc
    raise ValueError(f"not a date: {short_repr(value)}")


def unix_date(value: Any) -> str:
    """The UTC date of a Unix timestamp in seconds (OpenRouter ``created``)."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError(f"not a Unix timestamp: {short_repr(value)}")
    try:
        return dt.datetime.fromtimestamp(int(value), dt.UTC).date().isoformat()
    except (ArithmeticError, OSError, ValueError) as exc:  # beyond year 9999, or not finite
        raise ValueError(f"not a Unix timestamp: {short_repr(value)} ({exc})") from exc


def pointer(*parts: object) -> str:
    """A JSON pointer (RFC 6901) to a value: ``pointer("data", 3, "pricing")`` -> /data/3/pricing."""
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return "".join(f"/{p}" for p in escaped)


@dataclass
class Recorder:
    """Observations about one subject of one record, with the columns they all share.

    ``at`` on each call is appended to ``locator`` (a JSON pointer suffix, or ``#key`` for a TOML
    file), so every row says where in the response its value came from.
    """

    result: ParseResult
    source: str
    raw_id: str
    locator: str
    shared: dict[str, Any] = field(default_factory=dict)

    def put(
        self, attribute: str, value: str | None, unit: str | None, at: str = "", **cols
    ) -> None:
        row = {**self.shared, **cols}
        if row.get("subject") == MODEL:
            row.setdefault("provider", None)
        self.result.observations.append(
            Observation(
                source=self.source,
                raw_id=self.raw_id,
                attribute=attribute,
                value=value,
                unit=unit,
                locator=self.locator + at,
                **row,
            )
        )

    def issue(self, at: str, reason: str) -> None:
        self.result.issues.append(ParseIssue(self.source, self.locator + at, reason, self.raw_id))

    def number(self, attribute: str, raw: Any, unit: str, at: str = "", **cols) -> None:
        """A number; absent (None) emits nothing, an unreadable one becomes an issue."""
        self._convert(number_text, attribute, raw, unit, at, cols)

    def flag(self, attribute: str, raw: Any, at: str = "", **cols) -> None:
        self._convert(bool_text, attribute, raw, "bool", at, cols)

    def date(self, attribute: str, raw: Any, at: str = "", **cols) -> None:
        self._convert(date_text, attribute, raw, "date", at, cols)

    def text(self, attribute: str, raw: Any, at: str = "", **cols) -> None:
        """Free text; an empty string counts as absent (OpenRouter's ``hugging_face_id: ""``)."""
        if raw is None or raw == "":
            return
        if not isinstance(raw, str):
            self.issue(at, f"{attribute}: not text: {short_repr(raw)}")
            return
        self.put(attribute, raw, "text", at, **cols)

    def _convert(self, convert, attribute: str, raw: Any, unit: str, at: str, cols: dict) -> None:
        if raw is None:
            return
        try:
            value = convert(raw)
        except ValueError as exc:
            self.issue(at, f"{attribute}: {exc}")
            return
        self.put(attribute, value, unit, at, **cols)


@contextmanager
def one_record(
    result: ParseResult, source: str, locator: str, raw_id: str | None = None
) -> Iterator[None]:
    """Parse one record; if it breaks, drop what it emitted and keep an issue instead of raising."""
    start = len(result.observations)
    try:
        yield
    except RECORD_ERRORS as exc:
        del result.observations[start:]
        reason = f"{type(exc).__name__}: {exc}"
        if len(reason) > 500:
            reason = reason[:499] + "…"
        result.issues.append(ParseIssue(source, locator, reason, raw_id))


def record_id(entry: Any, key: str = "id") -> str:
    """The id of a record, which must be a non-empty string."""
    if not isinstance(entry, dict):
        raise TypeError(f"record is {type(entry).__name__}, not an object")
    raw_id = entry.get(key)
    if not isinstance(raw_id, str) or not raw_id.strip():
        raise ValueError(f"record has no usable {key!r}: {short_repr(raw_id)}")
    return raw_id


# --- what may leave a parser ------------------------------------------------------------------
_TEXT_FIELDS = tuple(
    f.name for f in dataclasses.fields(Observation) if f.name not in ("tier_min_tokens",)
)
_ISSUE_TEXT = ("source", "locator", "reason", "raw_id")
_BIGINT = 2**63
_PUNCTUATION = frozenset(string.punctuation + string.whitespace)


def _storable(text: str) -> bool:
    """Text the warehouse and the UTF-8 exports can hold: no unpaired UTF-16 surrogate."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _names_something(raw_id: str) -> bool:
    """Whether a raw id can name a model: ".", ".." or "-/-" cannot (only ASCII punctuation),
    and the identity SQL would turn them into an empty model id. Ids ending in "/" also
    normalize to an empty key, but LiteLLM has real ones (prefix entries); that case is for
    the identity SQL to refuse (see docs/hostile-inputs.md)."""
    return any(c not in _PUNCTUATION for c in raw_id)


def _escaped(text: str) -> str:
    return text if _storable(text) else text.encode("utf-8", "backslashreplace").decode("utf-8")


def storable(result: ParseResult) -> ParseResult:
    """The result with every row the warehouse could not store turned into an issue.

    JSON and YAML let a string escape an unpaired UTF-16 surrogate (``"\\ud800"``); Python
    keeps it, but DuckDB and UTF-8 refuse it, so one such string would fail the load of the
    whole response. A tier threshold must fit the BIGINT column. A raw id of punctuation only
    (``..``) names no model, and would become an empty model id. Such an
    observation becomes an issue (its text escaped), and the rest of the response is loaded.
    """
    kept = []
    named: dict[str, bool] = {}
    for obs in result.observations:
        if obs.raw_id not in named:
            named[obs.raw_id] = _names_something(obs.raw_id)
        if not named[obs.raw_id]:
            result.issues.append(
                ParseIssue(
                    obs.source,
                    _escaped(obs.locator),
                    f"{obs.attribute}: not stored: the raw id {short_repr(obs.raw_id)} names "
                    "nothing (only punctuation)",
                    _escaped(obs.raw_id),
                )
            )
            continue
        bad = [
            name
            for name in _TEXT_FIELDS
            if isinstance(value := getattr(obs, name), str) and not _storable(value)
        ]
        tier = obs.tier_min_tokens
        if tier is not None and not (isinstance(tier, int) and 0 <= tier < _BIGINT):
            bad.append("tier_min_tokens")
        if not bad:
            kept.append(obs)
            continue
        reason = (
            f"{obs.attribute}: not stored: {', '.join(bad)} "
            + ("out of range" if bad == ["tier_min_tokens"] else "holds an unpaired surrogate")
            + f" ({short_repr(obs.value)})"
        )
        result.issues.append(
            ParseIssue(obs.source, _escaped(obs.locator), _escaped(reason), _escaped(obs.raw_id))
        )
    result.observations = kept
    result.issues = [
        dataclasses.replace(
            issue,
            **{n: _escaped(v) for n in _ISSUE_TEXT if isinstance(v := getattr(issue, n), str)},
        )
        for issue in result.issues
    ]
    return result
