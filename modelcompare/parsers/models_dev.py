"""models.dev: the catalog's TOML tree, read from the repository's source archive (``.tar.gz``).

Two kinds of file. ``providers/<provider>/models/<id>.toml`` (a few have no extension but are
still TOML) describe one model at one provider: offering facts, provider = the folder name, raw id
= the path under ``models/``. ``models/<lab>/<model>.toml`` describe a model apart from any
provider: model facts, raw id ``<lab>/<model>``, provider None.

A provider file may name ``base_model = "<lab>/<model>"``. As models.dev's contributor guide
describes it, the provider file is then read on top of the base file: tables (``[limit]``,
``[cost]``...) merge key by key, arrays and plain values in the provider file replace the base's,
and ``base_model_omit`` removes inherited dotted keys after the merge. The parser does the same,
records a ``base_model`` observation, and points each value's locator at the file it came from.
Inherited ``benchmarks`` are not repeated on every offering: they are model facts, recorded once
from the base file.

Mappings: ``cost.*`` are USD per million tokens. ``[[cost.tiers]]`` with ``tier = {type =
"context", size = N}`` are long-context prices; the guide says ``size`` is the context length at
which that price band starts and the tier holds the full price past it, i.e. the whole request is
repriced, so ``tier_rule = whole_request`` (the legacy ``cost.context_over_200k`` likewise, at
200000). ``limit.context``, ``limit.input`` and ``limit.output`` are three separate facts.
``modalities.input`` containing "image" means vision; ``attachment`` (file upload) does not.
``[[benchmarks]]`` become ``benchmark`` rows: qualifier "<name>|<setting>" (harness, variant,
dataset, version), unit = the stated metric, ``as_of`` = the benchmark's date.

A single TOML file fetched from the raw GitHub URL (as in the cases under tests/cases) is read
too, with its provider and id taken from the URL path.
"""

from __future__ import annotations

import gzip
import io
import re
import tarfile
import tomllib
import zlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from modelcompare.archive import ArchivedResponse
from modelcompare.observations import (
    AUDIO_INPUT,
    BASE_MODEL,
    BENCHMARK,
    CONTEXT_WINDOW,
    KNOWLEDGE_CUTOFF,
    LICENSE,
    MAX_INPUT,
    MAX_OUTPUT,
    MODEL,
    NAME,
    OFFERING,
    OPEN_WEIGHTS,
    PRICE_CACHE_READ,
    PRICE_CACHE_WRITE,
    PRICE_INPUT,
    PRICE_OUTPUT,
    PRICE_REQUEST,
    REASONING,
    RELEASE_DATE,
    STRUCTURED_OUTPUT,
    TIER_WHOLE_REQUEST,
    TOOL_CALLING,
    VISION,
    ParseIssue,
    ParseResult,
    SourceLayoutError,
)
from modelcompare.parsers._common import (
    FAMILY,
    Recorder,
    one_record,
    require,
    short_repr,
    storable,
    to_date,
)

SOURCE = "models_dev"
MTOK = "usd_per_million_tokens"
NOT_TOML = (".md", ".json", ".svg", ".sh", ".ts", ".png")
_PROVIDER_FILE = re.compile(r"^providers/(?P<provider>[^/]+)/models/(?P<id>.+)$")
_BASE_FILE = re.compile(r"^models/(?P<id>.+)\.toml$")
# Caps on reading the tarball. The catalog tree is ~7,000 files of a few KB (2 MB unpacked in
# the bundled copy); these leave a wide margin and still stop a bomb long before memory runs out.
MAX_UNPACKED_BYTES = 256 * 1024 * 1024  # the whole decompressed stream, skipped members too
MAX_TAR_MEMBERS = 100_000
MAX_MEMBER_BYTES = 1024 * 1024
_SINGLE_URL = re.compile(r"/(?P<rel>(?:providers/[^/]+/models|models)/.+\.toml)$")

TEXT_FIELDS = {"name": NAME, "family": FAMILY, "license": LICENSE, "base_model": BASE_MODEL}
DATE_FIELDS = {"release_date": RELEASE_DATE, "knowledge": KNOWLEDGE_CUTOFF}
BOOL_FIELDS = {
    "reasoning": REASONING,
    "tool_call": TOOL_CALLING,
    "structured_output": STRUCTURED_OUTPUT,
    "open_weights": OPEN_WEIGHTS,
}
LIMIT_FIELDS = {"context": CONTEXT_WINDOW, "input": MAX_INPUT, "output": MAX_OUTPUT}
# cost key -> (attribute, unit, note). A few files spell the cache keys differently
# (cached_input, cache_input, cached_write); they are kept, with the spelling in the note.
# cost.reasoning, input_audio, output_audio and image have no attribute (or a clear unit) yet.
COST_FIELDS = {
    "input": (PRICE_INPUT, MTOK, None),
    "output": (PRICE_OUTPUT, MTOK, None),
    "cache_read": (PRICE_CACHE_READ, MTOK, None),
    "cache_write": (PRICE_CACHE_WRITE, MTOK, None),
    "cached_input": (PRICE_CACHE_READ, MTOK, "key spelled cost.cached_input"),
    "cache_input": (PRICE_CACHE_READ, MTOK, "key spelled cost.cache_input"),
    "cached_write": (PRICE_CACHE_WRITE, MTOK, "key spelled cost.cached_write"),
    "request": (PRICE_REQUEST, "usd_per_request", None),
}
TIER_PRICES = ("input", "output", "cache_read", "cache_write")
BENCHMARK_SETTINGS = ("harness", "variant", "dataset", "version")

Where = Callable[[str], str]


def parse_archive(response: ArchivedResponse) -> ParseResult:
    """The whole catalog (or one TOML file); ``num_records`` counts model files."""
    files, refused = _read_files(response)
    bases = {m["id"]: path for path in files if (m := _BASE_FILE.match(_rel(path)))}
    offers = {
        path: m for path in files if (m := _PROVIDER_FILE.match(_rel(path))) and _is_toml(path)
    }
    require(
        bool(offers or bases),
        SOURCE,
        "no providers/*/models/* or models/**.toml files in the response",
    )
    result = ParseResult(num_records=len(offers) + len(bases), issues=refused)
    base_data = {}
    for raw_id, path in sorted(bases.items()):
        data = _load_toml(result, path, files[path], raw_id)
        if data is not None:
            base_data[raw_id] = (path, data)
            with one_record(result, SOURCE, path, raw_id):
                rec = Recorder(result, SOURCE, raw_id, "", {"subject": MODEL})
                _emit(rec, data, lambda key, p=path: f"{p}#{key}")
    for path, match in sorted(offers.items()):
        raw_id = match["id"].removesuffix(".toml")
        data = _load_toml(result, path, files[path], raw_id)
        if data is not None:
            with one_record(result, SOURCE, path, raw_id):
                _parse_offering(result, match["provider"], raw_id, path, data, base_data)
    return storable(result)


def _parse_offering(
    result: ParseResult, provider: str, raw_id: str, path: str, own: dict, bases: dict
) -> None:
    rec = Recorder(result, SOURCE, raw_id, "", {"subject": OFFERING, "provider": provider})
    base_id = own.get("base_model")
    if base_id is None or base_id not in bases:
        if base_id is not None:
            rec.issue(
                f"{path}#base_model",
                f"base model {short_repr(base_id)} is not in the response; own keys only",
            )
        _emit(rec, own, lambda key: f"{path}#{key}")
        return
    base_path, base = bases[base_id]
    merged = _omit(_merge(base, own), own.get("base_model_omit") or [], own)
    if "benchmarks" not in own:
        merged.pop("benchmarks", None)  # model facts: recorded once, from the base file
    _emit(rec, merged, lambda key: f"{path if _has_path(own, key) else base_path}#{key}")


def _emit(rec: Recorder, data: dict, where: Where) -> None:
    for key, attribute in TEXT_FIELDS.items():
        rec.text(attribute, data.get(key), where(key))
    for key, attribute in DATE_FIELDS.items():
        rec.date(attribute, data.get(key), where(key))
    for key, attribute in BOOL_FIELDS.items():
        rec.flag(attribute, data.get(key), where(key))
    limits = _table(data, "limit")
    for key, attribute in LIMIT_FIELDS.items():
        rec.number(attribute, limits.get(key), "tokens", where(f"limit.{key}"))
    _modalities(rec, _table(data, "modalities").get("input"), where("modalities.input"))
    _cost(rec, _table(data, "cost"), "cost", where)
    modes = _table(_table(data, "experimental"), "modes")
    for mode, spec in modes.items():
        _cost(rec, _table(spec, "cost"), f"experimental.modes.{mode}.cost", where, variant=mode)
    _benchmarks(rec, data.get("benchmarks"), where)


def _cost(rec: Recorder, cost: dict, prefix: str, where: Where, **cols) -> None:
    for key, (attribute, unit, note) in COST_FIELDS.items():
        rec.number(attribute, cost.get(key), unit, where(f"{prefix}.{key}"), note=note, **cols)
    tiers = cost.get("tiers")
    if tiers is not None and not isinstance(tiers, list):
        rec.issue(where(f"{prefix}.tiers"), f"cost tiers is not a list: {short_repr(tiers)}")
        tiers = None
    for index, tier in enumerate(tiers or []):
        _tier(rec, tier, f"{prefix}.tiers[{index}]", where, **cols)
    over = cost.get("context_over_200k")
    if isinstance(over, dict):
        legacy = {**over, "tier": {"type": "context", "size": 200000}}
        _tier(rec, legacy, f"{prefix}.context_over_200k", where, **cols)


def _tier(rec: Recorder, tier: Any, at: str, where: Where, **cols) -> None:
    spec = tier.get("tier") if isinstance(tier, dict) else None
    size = spec.get("size") if isinstance(spec, dict) else None
    if isinstance(size, bool) or not isinstance(size, int):
        rec.issue(where(at), f"price tier without an integer tier.size: {short_repr(tier)}")
        return
    kind = spec.get("type")
    # 75 tiers in the 2026-07-02 tree omit the type; no rule is guessed for them.
    rule = TIER_WHOLE_REQUEST if kind == "context" else None
    for key in TIER_PRICES:
        attribute, unit, _ = COST_FIELDS[key]
        rec.number(
            attribute,
            tier.get(key),
            unit,
            where(f"{at}.{key}"),
            tier_min_tokens=size,
            tier_rule=rule,
            note=f"tier type={kind}" if kind else "tier type not stated",
            **cols,
        )


def _modalities(rec: Recorder, inputs: Any, at: str) -> None:
    if inputs is None:
        return
    if not isinstance(inputs, list):
        rec.issue(at, f"modalities.input is not a list: {short_repr(inputs)}")
        return
    rec.put(VISION, "true" if "image" in inputs else "false", "bool", at)
    rec.put(AUDIO_INPUT, "true" if "audio" in inputs else "false", "bool", at)


def _benchmarks(rec: Recorder, benchmarks: Any, where: Where) -> None:
    if benchmarks is None:
        return
    if not isinstance(benchmarks, list):
        rec.issue(where("benchmarks"), f"benchmarks is not a list: {short_repr(benchmarks)}")
        return
    for index, bench in enumerate(benchmarks):
        at = where(f"benchmarks[{index}]")
        if not isinstance(bench, dict) or not isinstance(bench.get("name"), str):
            rec.issue(at, f"benchmark without a name: {short_repr(bench)}")
            continue
        setting = ";".join(f"{k}={bench[k]}" for k in BENCHMARK_SETTINGS if k in bench)
        metric = bench.get("metric")
        try:
            as_of = to_date(bench.get("date"))
        except ValueError:
            as_of = None
            rec.issue(at, f"benchmark date is not a date: {short_repr(bench.get('date'))}")
        source = bench.get("source")
        rec.number(
            BENCHMARK,
            bench.get("score"),
            metric if isinstance(metric, str) else None,
            at,
            qualifier=f"{bench['name']}|{setting}",
            as_of=as_of,
            note=f"source: {source}" if source else None,
        )


# --- reading the archive ------------------------------------------------------------------------
def _read_files(response: ArchivedResponse) -> tuple[dict[str, bytes], list[ParseIssue]]:
    """Member path -> bytes, for the archive's regular files (or the one TOML file fetched),
    and the issues of members that were refused."""
    body = response.body or b""
    require(len(body) > 0, SOURCE, f"empty response body from {response.url}")
    if body[:2] == b"\x1f\x8b":
        return _read_tarball(body, response.url)
    single = _SINGLE_URL.search(response.url.split("?", 1)[0])
    require(
        single is not None,
        SOURCE,
        f"response from {response.url} is neither a .tar.gz archive nor a models.dev TOML file",
    )
    return {single["rel"]: body}, []


class _TooBig(Exception):
    pass


class _Capped(io.RawIOBase):
    """A read-only stream that fails once more than ``limit`` bytes have come through it."""

    def __init__(self, raw, limit: int):
        self.raw, self.limit, self.count = raw, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(min(len(buffer), self.limit - self.count + 1))
        self.count += len(data)
        if self.count > self.limit:
            raise _TooBig
        buffer[: len(data)] = data
        return len(data)


def _read_tarball(body: bytes, url: str) -> tuple[dict[str, bytes], list[ParseIssue]]:
    """Read the tarball as a stream, under caps, and keep only the catalog's regular files.

    Nothing is ever written to disk, so a member named ``../../x`` cannot escape anywhere; it is
    still refused (with an issue), because its path would become a provider or a model id. Links
    are refused too: only regular files hold models. The caps stop a decompression bomb (a small
    download that unpacks to gigabytes, or a sparse member that claims a huge size) before it
    fills memory.
    """
    files: dict[str, bytes] = {}
    issues: list[ParseIssue] = []
    stream = _Capped(gzip.GzipFile(fileobj=io.BytesIO(body), mode="rb"), MAX_UNPACKED_BYTES)
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for count, member in enumerate(tar, start=1):
                if count > MAX_TAR_MEMBERS:
                    raise SourceLayoutError(
                        f"{SOURCE}: response from {url} holds more than {MAX_TAR_MEMBERS:,} "
                        "members; refused"
                    )
                problem = _member_problem(member)
                if problem is None and member.isfile() and _in_catalog(member.name):
                    if member.name in files:
                        issues.append(
                            ParseIssue(SOURCE, member.name, "member appears twice; last one read")
                        )
                    files[member.name] = tar.extractfile(member).read()
                elif problem is not None:
                    issues.append(ParseIssue(SOURCE, short_repr(member.name), problem))
    except _TooBig:
        raise SourceLayoutError(
            f"{SOURCE}: response from {url} unpacks to more than {MAX_UNPACKED_BYTES:,} bytes; "
            "refused as a decompression bomb"
        ) from None
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        message = f"{SOURCE}: response from {url} is not a readable .tar.gz archive ({exc})"
        raise SourceLayoutError(message) from exc
    return files, issues


def _member_problem(member: tarfile.TarInfo) -> str | None:
    """Why a member of the catalog's folders is not read, or None (also None outside them)."""
    name = member.name
    parts = name.replace("\\", "/").split("/")
    if name.startswith("/") or ".." in parts or "\x00" in name:
        return "member path is absolute or climbs out with '..'; refused"
    if not _in_catalog(name):
        return None
    if member.issym() or member.islnk():
        return f"link to {short_repr(member.linkname)} skipped: only regular files are read"
    if member.isfile() and member.size > MAX_MEMBER_BYTES:
        return f"{member.size:,} bytes, more than the {MAX_MEMBER_BYTES:,} a model file may have"
    return None


def _in_catalog(path: str) -> bool:
    return _rel(path).startswith(("providers/", "models/"))


def _rel(path: str) -> str:
    """A path without the archive's top folder (``models.dev-dev/``), if it has one."""
    first, _, rest = path.partition("/")
    return rest if first not in ("providers", "models") and rest else path


def _is_toml(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return not name.endswith(NOT_TOML) and name != "provider.toml"


def _load_toml(result: ParseResult, path: str, raw: bytes, raw_id: str) -> dict | None:
    try:
        return tomllib.loads(raw.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        result.issues.append(ParseIssue(SOURCE, path, f"not TOML: {exc}", raw_id))
    except RecursionError:  # tomllib recurses once per nested array or inline table
        result.issues.append(
            ParseIssue(SOURCE, path, "not TOML we read: nested too deeply", raw_id)
        )
    except ValueError as exc:  # an integer of more than 4300 digits
        result.issues.append(ParseIssue(SOURCE, path, f"not TOML we read: {exc}", raw_id))
    return None


# --- base_model inheritance -----------------------------------------------------------------------
def _merge(base: dict, own: dict) -> dict:
    """Tables merge key by key; arrays and plain values in ``own`` replace the base's."""
    merged = dict(base)
    for key, value in own.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _omit(merged: dict, paths: list, own: dict) -> dict:
    """Drop inherited dotted keys (``limit.input``); a key the provider file sets itself stays."""
    for path in paths:
        if not isinstance(path, str) or _has_path(own, path):
            continue
        *parents, leaf = path.split(".")
        table = merged
        for part in parents:
            child = table.get(part) if isinstance(table, dict) else None
            if not isinstance(child, dict):
                break
            table[part] = child = dict(child)  # copy: never edit the base file's tables
            table = child
        else:
            table.pop(leaf, None)
    return merged


def _has_path(data: dict, path: str) -> bool:
    node: Any = data
    for part in path.split("."):
        key = part.split("[", 1)[0]
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return True


def _table(data: Any, key: str) -> dict:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}
