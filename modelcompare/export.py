"""Release: JSON documents built from facts and pair facts, published whole or not at all.

Contract (schema_version 1, described field by field in the README's section "Exports: the
JSON contract, version 1", and by the JSON Schemas in ``schemas/v1/``): ``v1/index.json``,
``v1/catalog.json``, ``v1/models/<model>.json``, ``v1/pairs/<a>--<b>.json``,
``v1/changes.json``, ``v1/manifest.json`` and a copy of the schemas
under ``v1/schemas/``. Pages rendered from the same documents sit beside them under ``site/``.

Every fact is an object ``{"value", "unit", "verified_at", "sources": [response ids], ...}`` and
every document lists the responses it cites under ``sources`` (url, fetched_at). Both
``last_reviewed`` and the ``sources`` map are derived from the finished document itself (see
``_finish``), so they cover exactly the facts the document shows. The run time appears only in
the index and the manifest, so an unchanged document is byte-identical run after run.

Publishing validates every document, writes a complete release into a staging folder, renames
it into ``releases/<release_id>`` and swaps the ``current`` symlink atomically. A crash at any
point leaves ``current`` pointing at the previous, whole release. A run whose documents equal
the current release's writes nothing at all.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import decimal
import enum
import functools
import gc
import hashlib
import itertools
import json
import math
import os
import shutil
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import jsonschema_rs
import orjson

from modelcompare import narrative
from modelcompare.archive import atomic_write
from modelcompare.slugs import safe_slug

SCHEMA_VERSION = "1.0"
CONTRACT = "v1"
SITE = "site"
KEEP_RELEASES = 5
REPO = Path(__file__).resolve().parent.parent
SCHEMA_DIR = REPO / "schemas" / CONTRACT
# Written by publish itself, after the release id is known; never part of the id.
RUN_FILES = (f"{CONTRACT}/index.json", f"{CONTRACT}/changes.json", f"{CONTRACT}/manifest.json")

CAPABILITIES = ("vision", "reasoning", "tool_calling", "structured_output")
MODEL_FACTS = (
    "context_window", *CAPABILITIES, "license", "open_weights", "release_date",
    "knowledge_cutoff", "parameters", "base_model",
)  # fmt: skip
PRICE_KINDS = {
    "price_input": "input",
    "price_output": "output",
    "price_cache_read": "cache_read",
    "price_cache_write": "cache_write",
    "price_batch_input": "batch_input",
    "price_batch_output": "batch_output",
    "price_image": "image",
    "price_request": "request",
}
PRICE_UNITS = {"image": "usd_per_image", "request": "usd_per_request"}
OFFERING_LIMITS = ("context_window", "max_input_tokens", "max_output_tokens")
USD_PER_MTOK = "usd_per_million_tokens"
MISSING_NO_SOURCE = "no_source"
MISSING_REJECTED = "rejected"
MISSING_TEXT = {
    MISSING_NO_SOURCE: "no source states it",
    MISSING_REJECTED: "every value a source stated was rejected",
}


# --- JSON ---------------------------------------------------------------------------------
# orjson writes keys in insertion order (no sorting), like json.dumps did. Dates, datetimes and
# dataclasses are passed to ``_json_value`` instead of orjson's own formats.
JSON_OPTIONS = (
    orjson.OPT_INDENT_2
    | orjson.OPT_APPEND_NEWLINE
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
)


class NotPublishable(ValueError):
    """A value a document cannot carry as JSON: a non-finite number, an integer wider than 64
    bits, a key that is not text, or a type with no JSON form."""


def _json_value(value):
    """Decimals as JSON numbers with the same digits (checked), dates as ISO text: what
    ``dumps`` does with the values orjson does not write itself."""
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise NotPublishable(f"not a finite number: {value}")
        normalized = value.normalize()
        if normalized == normalized.to_integral_value() and abs(normalized) < 10**15:
            return int(normalized)
        as_float = float(normalized)
        if decimal.Decimal(repr(as_float)) != normalized:
            return format(normalized, "f")  # more digits than a double carries: keep them as text
        return as_float
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    raise NotPublishable(f"{type(value).__name__} has no JSON form")


def dumps(doc) -> bytes:
    """One document as published: UTF-8 JSON, two-space indent, keys in insertion order, a
    final newline. Raises ``NotPublishable`` naming where the document holds a value it cannot
    carry: a non-finite Decimal, an integer wider than 64 bits, a key that is not text.

    orjson writes a float NaN or infinity as null without a word, so floats are checked where
    they enter a document instead: every value read from DuckDB (``_fetch``, under ``_rows``)
    and the blend weights (``build_documents``). Decimals become floats here only when finite;
    code that computes a float for a document must keep it finite itself."""
    try:
        return orjson.dumps(doc, default=_json_value, option=JSON_OPTIONS)
    except orjson.JSONEncodeError as exc:
        where, why = _unpublishable(doc, "$")
        raise NotPublishable(f"{where}: {why}" if where else str(exc)) from exc


def _unpublishable(node, path: str) -> tuple[str, str] | tuple[None, None]:
    """Where a document holds a value ``dumps`` refuses, and why (only called after a refusal,
    so its speed does not matter)."""
    if isinstance(node, float) and not math.isfinite(node):
        return path, f"not a finite number: {node}"
    if isinstance(node, int) and not isinstance(node, bool) and not -(2**63) <= node < 2**64:
        return path, f"integer wider than 64 bits: {node}"
    if isinstance(node, dict):
        for key, child in node.items():
            if not isinstance(key, str):
                return path, f"key {key!r} is not text"
            found = _unpublishable(child, f"{path}.{key}")
            if found[0]:
                return found
        return None, None
    if isinstance(node, list | tuple):
        for i, child in enumerate(node):
            found = _unpublishable(child, f"{path}[{i}]")
            if found[0]:
                return found
        return None, None
    if node is None or isinstance(node, str | int | float | uuid.UUID | enum.Enum):
        return None, None  # written by orjson itself
    try:
        _json_value(node)
    except NotPublishable as exc:
        return path, str(exc)
    return None, None


# --- reading facts ------------------------------------------------------------------------
def _fetch(con: duckdb.DuckDBPyConnection, sql: str, params=None) -> tuple[list[str], list]:
    """A query's column names and rows. Every value a document shows is read through here, so
    a NaN or infinity in a floating-point column (at any depth of a struct or list) stops the
    release here: orjson would publish it as null."""
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    floating = [(i, d[0]) for i, d in enumerate(cursor.description) if _holds_floats(d[1])]
    for row in rows:
        for i, name in floating:
            _check_finite(row[i], name)
    return names, rows


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params=None) -> list[dict]:
    names, rows = _fetch(con, sql, params)
    return [dict(zip(names, row, strict=True)) for row in rows]


def _keyed_rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[tuple, dict]]:
    """Rows as dicts, each with its fact key: the first five columns (scope, subject_id,
    attribute, qualifier, tier)."""
    names, rows = _fetch(con, sql)
    return [(row[:5], dict(zip(names, row, strict=True))) for row in rows]


def _holds_floats(column_type) -> bool:
    """Whether a DuckDB column type is, or contains, a floating-point type."""
    text = str(column_type).upper()
    return any(name in text for name in ("DOUBLE", "FLOAT", "REAL"))


def _check_finite(value, where: str) -> None:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise NotPublishable(f"{where}: not a finite number: {value}")
    elif isinstance(value, dict):
        for key, child in value.items():
            _check_finite(child, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for child in value:
            _check_finite(child, where)


def _date(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).date().isoformat()
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _typed(unit: str | None, num, text):
    """A stated value in the type its unit promises: booleans, whole token counts, numbers."""
    if unit == "bool":
        return None if text is None else text == "true"
    if num is not None:
        return int(num) if unit == "tokens" else num
    return text


@dataclasses.dataclass
class Catalog:
    """Everything the documents are rendered from, read once from DuckDB."""

    as_of: dt.date
    facts: dict[tuple, dict]  # (scope, subject_id, attribute, qualifier, tier) -> fact row
    fact_keys: dict[tuple, list[tuple]]  # (scope, subject_id) -> keys of its facts, sorted
    fact_sources: dict[tuple, list[dict]]
    rejected: dict[tuple, list[dict]]  # fact keys with no fact: the rejected candidates
    models: dict[str, dict]
    offerings: dict[str, list[dict]]  # model_id -> offerings
    history: dict[str, list[dict]]  # offering_id -> history rows
    responses: dict[str, dict]
    source_status: dict[str, dict]
    licenses: dict[str, dict]
    summaries: dict[str, dict]
    limit_conflicts: dict[str, list[dict]]  # model_id -> offerings whose limits undercut it
    profile_costs: dict[str, list[dict]]
    profiles: list[dict]
    blend: dict


def read_catalog(con: duckdb.DuckDBPyConnection, as_of: dt.date, blend: dict) -> Catalog:
    facts = {}
    by_subject = defaultdict(list)
    # verified_at as its UTC date, as ``_date`` shows it (a DATE reads far faster than a
    # TIMESTAMPTZ).
    for key, row in _keyed_rows(
        con,
        "select scope, subject_id, attribute, qualifier, tier_min_tokens, unit, num_value,"
        " text_value, cast(timezone('UTC', verified_at) as date) as verified_at, chosen_source,"
        " tier_rule, output_equals_context from core.facts",
    ):
        facts[key] = row
        by_subject[key[:2]].append(key)
    fact_sources = defaultdict(list)
    for key, row in _keyed_rows(
        con,
        "select scope, subject_id, attribute, qualifier, tier_min_tokens, response_id, source,"
        " raw_id, provider_id, raw_value, raw_unit, num_value, text_value, reject_reason,"
        " is_chosen, agrees from core.fact_sources"
        " order by source, response_id, raw_id, provider_id, obs_id",
    ):
        fact_sources[key].append(row)
    # Attributes a source stated but every statement was refused: the page says so, not
    # "no source states it".
    rejected = defaultdict(list)
    for key, row in _keyed_rows(
        con,
        "select c.scope, c.subject_id, c.attribute, c.qualifier_key, c.tier_key, c.response_id,"
        " c.source, c.raw_id, c.value as raw_value, c.unit as raw_unit, c.reject_reason"
        " from core.fact_candidates as c where c.reject_reason is not null and not exists ("
        " select 1 from core.facts as f where f.scope = c.scope and f.subject_id = c.subject_id"
        " and f.attribute = c.attribute and f.qualifier = c.qualifier_key"
        " and f.tier_min_tokens = c.tier_key)"
        " order by c.source, c.response_id, c.raw_id, c.obs_id",
    ):
        rejected[key].append(row)
    offerings = defaultdict(list)
    for row in _rows(con, "select * from core.offerings order by provider_id, offering_id"):
        offerings[row["model_id"]].append(row)
    history = defaultdict(list)
    for row in _rows(
        con,
        "select offering_id, attribute, tier_min_tokens, num_value, valid_from, valid_to,"
        " last_seen, source, basis from core.price_history order by offering_id, attribute,"
        " tier_min_tokens, valid_from, source, basis, valid_to, num_value",
    ):
        history[row["offering_id"]].append(row)
    profile_costs = defaultdict(list)
    for row in _rows(con, "select * from compare.model_profile_costs order by profile_id"):
        profile_costs[row["model_id"]].append(row)
    return Catalog(
        as_of=as_of,
        facts=facts,
        fact_keys={k: sorted(v, key=_sort_key) for k, v in by_subject.items()},
        fact_sources=fact_sources,
        rejected=rejected,
        models={
            r["model_id"]: r for r in _rows(con, "select * from core.models order by model_id")
        },
        offerings=offerings,
        history=history,
        responses={
            r["response_id"]: r
            for r in _rows(
                con,
                "select r.response_id, r.source, r.url, r.fetched_at, r.fetched_at_approximate,"
                " s.title, s.made_fixture from raw.responses as r"
                " left join core.source_specs as s using (source)",
            )
        },
        source_status={r["source"]: r for r in _rows(con, "select * from core.source_status")},
        licenses={r["license_id"]: r for r in _rows(con, "select * from core.registry_licenses")},
        summaries={r["model_id"]: r for r in _rows(con, "select * from compare.model_summary")},
        limit_conflicts=_limit_conflicts(con),
        profile_costs=profile_costs,
        profiles=_rows(con, "select * from compare.traffic_profiles order by profile_id"),
        blend=blend,
    )


def _sort_key(key: tuple) -> tuple:
    return tuple("" if part is None else part for part in key)


def _limit_conflicts(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict]]:
    out = defaultdict(list)
    for row in _rows(
        con,
        "select * from (select model_id, unnest(sides, recursive := true) from core.conflicts"
        " where qualifier = 'offering limits below context')"
        " order by model_id, source, raw_id, provider_id, response_id, value",
    ):
        out[row["model_id"]].append(row)
    return out


# --- facts as document objects ------------------------------------------------------------
def _fact(
    catalog: Catalog,
    scope: str,
    subject_id: str,
    attribute: str,
    qualifier: str = "",
    tier: int = 0,
) -> dict:
    """One fact as the contract's fact object (``$defs/fact`` in the schemas)."""
    key = (scope, subject_id, attribute, qualifier, tier)
    row = catalog.facts.get(key)
    if row is None:
        refused = catalog.rejected.get(key, [])
        if not refused:
            return _missing(MISSING_NO_SOURCE)
        out = _missing(MISSING_REJECTED)
        out["rejected"] = [_rejected(s) for s in refused]
        return out
    unit = row["unit"]
    if attribute in PRICE_KINDS:
        unit = PRICE_UNITS.get(PRICE_KINDS[attribute], unit)
    sources = catalog.fact_sources[key]
    chosen = next((s for s in sources if s["is_chosen"]), None)
    out = {
        "value": _typed(row["unit"], row["num_value"], row["text_value"]),
        "unit": unit,
        "verified_at": _date(row["verified_at"]),
        "sources": sorted({s["response_id"] for s in sources if s["agrees"]}),
        "chosen_source": row["chosen_source"],
        "raw": {"id": chosen["raw_id"], "value": chosen["raw_value"], "unit": chosen["raw_unit"]}
        if chosen
        else None,
    }
    disagreeing = [s for s in sources if not s["agrees"] and s["reject_reason"] is None]
    if disagreeing:
        out["conflict"] = [
            {
                "value": _typed(row["unit"], s["num_value"], s["text_value"]),
                "source": s["source"],
                "raw_id": s["raw_id"],
                "provider": s["provider_id"],
                "sources": [s["response_id"]],
            }
            for s in disagreeing
        ]
    refused = [s for s in sources if s["reject_reason"] is not None]
    if refused:
        out["rejected"] = [_rejected(s) for s in refused]
    return out


def _missing(reason: str) -> dict:
    return {
        "value": None,
        "unit": None,
        "verified_at": None,
        "sources": [],
        "missing": {"reason": reason, "text": MISSING_TEXT[reason]},
    }


def _rejected(s: dict) -> dict:
    return {
        "raw_value": s["raw_value"],
        "raw_unit": s["raw_unit"],
        "reason": s["reject_reason"],
        "source": s["source"],
        "sources": [s["response_id"]],
    }


FACT_KEYS = frozenset(("value", "unit", "verified_at", "sources"))


def is_fact(node) -> bool:
    """A fact object: the four keys every fact carries (routes and costs are facts too)."""
    return isinstance(node, dict) and FACT_KEYS <= node.keys()


def iter_facts(node) -> Iterator[dict]:
    """Every fact object a document shows, depth first (the top-level ``sources`` map and the
    statements are not facts and are skipped)."""
    return iter(_scan(node, None))


_CONTAINERS = (dict, list)


def _cited(node, out: set[str]) -> set[str]:
    """Every response id cited anywhere in a document: each ``sources`` list, at any depth."""
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, child in node.items():
                if key == "sources" and isinstance(child, list):
                    out.update(child)
                elif isinstance(child, _CONTAINERS):
                    stack.append(child)
        elif isinstance(node, list):
            stack.extend([child for child in node if isinstance(child, _CONTAINERS)])
    return out


def _scan(node, cited: set[str] | None) -> list[dict]:
    """One pass over a document for ``iter_facts`` and ``_cited`` at once: returns the facts in
    the order ``iter_facts`` gives them and adds every cited response id to ``cited`` (unless
    it is None).

    Iterative, and only containers are pushed: documents hold hundreds of thousands of values."""
    facts = []
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "sources" not in node and "statements" not in node:  # most objects: not a fact
                stack.extend([c for c in reversed(node.values()) if isinstance(c, _CONTAINERS)])
                continue
            if FACT_KEYS <= node.keys():
                facts.append(node)
            for key, child in reversed(node.items()):
                if key == "sources" or key == "statements":
                    if cited is None:
                        continue
                    if key == "sources" and isinstance(child, list):
                        cited.update(child)
                    else:
                        _cited(child, cited)
                elif isinstance(child, _CONTAINERS):
                    stack.append(child)
        elif isinstance(node, list):
            stack.extend([c for c in reversed(node) if isinstance(c, _CONTAINERS)])
    return facts


def _finish(catalog: Catalog, doc: dict) -> dict:
    """Stamp what is derived from the document's own facts: ``last_reviewed`` (the oldest
    ``verified_at`` among them), the stale sources they rest on, and the ``sources`` map."""
    cited: set[str] = set()
    shown = [f for f in _scan(doc, cited) if f["value"] is not None]
    dates = [f["verified_at"] for f in shown if f["verified_at"]]
    doc["last_reviewed"] = min(dates) if dates else None
    doc["stale_sources"] = _stale(catalog, {f.get("chosen_source") for f in shown})
    doc["sources"] = _sources_block(catalog, cited)
    return doc


def _stale(catalog: Catalog, names: set) -> list[dict]:
    """The stale or failing sources among ``names``. No age in days: it grows with the run
    date, and would rewrite every document citing a stale source every night."""
    out = []
    for name in sorted(n for n in names if n):
        status = catalog.source_status.get(name, {})
        if status.get("freshness") in ("stale", "failing"):
            out.append(
                {
                    "source": name,
                    "title": status.get("title"),
                    "freshness": status["freshness"],
                    "last_good_fetch_date": status.get("last_good_fetch_date"),
                    "max_age_days": status.get("max_age_days"),
                }
            )
    return out


def _sources_block(catalog: Catalog, cited: set[str]) -> dict:
    out = {}
    for rid in sorted(cited):
        r = catalog.responses.get(rid)
        if r is None:
            raise KeyError(f"response {rid} is cited but not in raw.responses")
        out[rid] = {
            "source": r["source"],
            "title": r["title"],
            "url": r["url"],
            "fetched_at": r["fetched_at"],
            "fetched_at_approximate": bool(r["fetched_at_approximate"]),
            "made_fixture": bool(r["made_fixture"]),
        }
    return out


# --- model documents ----------------------------------------------------------------------
def _model_facts(catalog: Catalog, model_id: str, names=MODEL_FACTS) -> dict:
    out = {name: _fact(catalog, "model", model_id, name) for name in names}
    limits = catalog.limit_conflicts.get(model_id, [])
    if limits and out["context_window"]["value"] is not None:
        # Offerings whose max input and output together cannot reach the context window: a
        # provider serving less, or a source that wrote the context into the wrong field.
        out["context_window"].setdefault("conflict", []).extend(
            {
                "value": None,
                "stated": side["value"],
                "source": side["source"],
                "raw_id": side["raw_id"],
                "provider": side["provider_id"],
                "kind": "offering limits below context",
                "sources": [side["response_id"]],
            }
            for side in limits
        )
    license_id = out["license"]["value"]
    known = catalog.licenses.get(license_id) if license_id else None
    if known:
        out["license"]["name"] = known["name"]
        # A license that grants downloadable weights settles open_weights; the stated flags
        # stay visible as the conflict if any source said otherwise.
        stated = out["open_weights"]
        out["open_weights"] = {
            key: value
            for key, value in out["license"].items()
            if key not in ("name", "conflict", "rejected")
        }
        out["open_weights"].update(
            value=known["open_weights"], unit="bool", basis=f"license {license_id}"
        )
        if stated.get("value") is not None and stated["value"] != known["open_weights"]:
            out["open_weights"]["conflict"] = [
                {
                    "value": stated["value"],
                    "source": stated["chosen_source"],
                    "raw_id": stated["raw"]["id"] if stated.get("raw") else None,
                    "provider": None,
                    "sources": stated["sources"],
                }
            ]
    return out


def _history(catalog: Catalog, offering_id: str) -> list[dict]:
    return [
        {
            "kind": PRICE_KINDS.get(h["attribute"], h["attribute"]),
            "min_input_tokens": h["tier_min_tokens"],
            "value": h["num_value"],
            "unit": PRICE_UNITS.get(PRICE_KINDS.get(h["attribute"], ""), USD_PER_MTOK),
            "valid_from": h["valid_from"],
            "valid_to": h["valid_to"],
            "last_seen": h["last_seen"],
            "source": h["source"],
            "basis": h["basis"],
        }
        for h in catalog.history.get(offering_id, [])
    ]


def _offering_doc(catalog: Catalog, offering: dict) -> dict:
    oid = offering["offering_id"]
    prices, tiers = {}, defaultdict(dict)
    for key in catalog.fact_keys.get(("offering", oid), []):
        scope, subject, attribute, qualifier, tier = key
        if attribute not in PRICE_KINDS:
            continue
        fact = _fact(catalog, scope, subject, attribute, qualifier, tier)
        if tier == 0:
            prices[PRICE_KINDS[attribute]] = fact
        else:
            entry = tiers[tier]
            entry["min_input_tokens"] = tier
            entry["rule"] = catalog.facts[key]["tier_rule"] or "whole_request"
            entry[PRICE_KINDS[attribute]] = fact
    return {
        "id": oid,
        "provider": _provider(offering),
        "region": offering["region"],
        "variant": offering["variant"],
        "quantization": offering["quantization"],
        "free": bool(offering["is_free"]),
        "listed_now": bool(offering["listed_now"]),
        "first_seen": offering["first_seen"],
        "last_seen": offering["last_seen"],
        "raw_ids": list(offering["raw_ids"]),
        "prices": dict(sorted(prices.items())),
        "price_tiers": [tiers[t] for t in sorted(tiers)],
        "limits": {name: _fact(catalog, "offering", oid, name) for name in OFFERING_LIMITS},
        "capabilities": {name: _fact(catalog, "offering", oid, name) for name in CAPABILITIES},
        "price_history": _history(catalog, oid),
    }


def _provider(offering: dict) -> dict:
    return {
        "id": offering["provider_id"],
        "name": offering["provider_name"],
        "kind": offering["provider_kind"],
    }


def _route(catalog: Catalog, model_id: str, kind: str) -> dict:
    """The cheapest paid route for one price kind, as a fact citing the prices behind it."""
    summary = catalog.summaries.get(model_id, {})
    route = summary.get(f"cheapest_{kind}")
    if not route or route.get("price") is None:
        out = _missing(MISSING_NO_SOURCE)
        out["missing"] = _no_route_reason(catalog, model_id)
        return out
    oid = route["offering_id"]
    if kind == "blended":
        parts = [_fact(catalog, "offering", oid, a) for a in ("price_input", "price_output")]
        fact = {
            "value": route["price"],
            "unit": USD_PER_MTOK,
            "verified_at": min(p["verified_at"] for p in parts),
            "sources": sorted({s for p in parts for s in p["sources"]}),
            "chosen_source": parts[0]["chosen_source"],
            "input": parts[0]["value"],
            "output": parts[1]["value"],
        }
    else:
        fact = _fact(catalog, "offering", oid, f"price_{kind}")
    return {
        **fact,
        "provider": route["provider_id"],
        "provider_name": route["provider_name"],
        "region": route["region"],
        "offering": oid,
    }


def _no_route_reason(catalog: Catalog, model_id: str) -> dict:
    offerings = [o for o in catalog.offerings.get(model_id, []) if o["listed_now"]]
    if not offerings:
        return {"reason": "no_offering", "text": "no source lists a provider serving it now"}
    if all(o["is_free"] for o in offerings):
        return {"reason": "free_only", "text": "only free offers are listed; they are not compared"}
    return {"reason": MISSING_NO_SOURCE, "text": "no source states a paid price for it"}


def model_document(catalog: Catalog, model_id: str) -> dict:
    model = catalog.models[model_id]
    benchmarks = []
    for scope, subject, attribute, qualifier, tier in (
        k for k in catalog.fact_keys.get(("model", model_id), []) if k[2] == "benchmark"
    ):
        name, _, setting = qualifier.partition("|")
        benchmarks.append(
            {
                "name": name,
                "setting": setting,
                **_fact(catalog, scope, subject, attribute, qualifier, tier),
            }
        )
    doc = {
        "schema_version": SCHEMA_VERSION,
        "kind": "model",
        "id": model_id,
        "name": model["name"],
        "creator": model["creator"],
        "family": model["family"],
        "version": model["version"],
        "size": model["size"],
        "curated": bool(model["curated"]),
        "published": bool(model["publish"]),
        "last_reviewed": None,
        "facts": _model_facts(catalog, model_id),
        "benchmarks": benchmarks,
        "cheapest_paid": {
            kind: _route(catalog, model_id, kind) for kind in ("input", "output", "blended")
        },
        "offerings": [_offering_doc(catalog, o) for o in catalog.offerings.get(model_id, [])],
        "stale_sources": [],
        "sources": {},
    }
    return _finish(catalog, doc)


# --- pair documents -----------------------------------------------------------------------
def _max_output(catalog: Catalog, model_id: str) -> dict:
    """The most any listed provider lets one response run (limits equal to the context window
    left out, as in compare.model_summary), as the fact it comes from plus its provider."""
    best = None
    for offering in catalog.offerings.get(model_id, []):
        if not offering["listed_now"]:
            continue
        row = catalog.facts.get(("offering", offering["offering_id"], "max_output_tokens", "", 0))
        if row is None or row["output_equals_context"] or row["num_value"] is None:
            continue
        rank = (row["num_value"], offering["provider_id"], offering["offering_id"])
        if best is None or rank > best[0]:
            best = (rank, offering)
    if best is None:
        return _missing(MISSING_NO_SOURCE)
    offering = best[1]
    return {
        **_fact(catalog, "offering", offering["offering_id"], "max_output_tokens"),
        "provider": offering["provider_id"],
        "provider_name": offering["provider_name"],
        "offering": offering["offering_id"],
    }


def _pair_offering(offering: dict) -> dict:
    """An offering as a pair shows it: who serves it, and its base input and output prices."""
    return {
        "id": offering["id"],
        "provider": offering["provider"],
        "region": offering["region"],
        "variant": offering["variant"],
        "free": offering["free"],
        "listed_now": offering["listed_now"],
        "input": offering["prices"].get("input") or _missing(MISSING_NO_SOURCE),
        "output": offering["prices"].get("output") or _missing(MISSING_NO_SOURCE),
        "price_history": [
            h
            for h in offering["price_history"]
            if h["kind"] in ("input", "output") and h["min_input_tokens"] == 0
        ],
    }


def _monthly(catalog: Catalog, row: dict) -> list[dict]:
    profiles = {p["profile_id"]: p for p in catalog.profiles}
    out = []
    for item in row["monthly_costs"] or []:
        profile = profiles[item["profile_id"]]
        per_side = {}
        for side in ("a", "b"):
            model_id = row[f"model_{side}"]
            match = next(
                (
                    c
                    for c in catalog.profile_costs.get(model_id, [])
                    if c["profile_id"] == item["profile_id"]
                ),
                None,
            )
            cheapest = match["cheapest"] if match else None
            per_side[side] = (
                _cost_fact(catalog, cheapest)
                if cheapest and cheapest.get("cost_per_month_usd") is not None
                else _missing(MISSING_NO_SOURCE) | {"missing": _no_route_reason(catalog, model_id)}
            )
        out.append(
            {
                "profile": {
                    "id": profile["profile_id"],
                    "description": profile["description"],
                    "requests_per_month": profile["requests_per_month"],
                    "input_tokens_per_request": profile["input_tokens_per_request"],
                    "output_tokens_per_request": profile["output_tokens_per_request"],
                    "cached_input_share": profile["cached_input_share"],
                },
                **per_side,
                "cheaper": item["cheaper"],
                "pct_cheaper": item["pct_cheaper"],
            }
        )
    return out


def _cost_fact(catalog: Catalog, cheapest: dict) -> dict:
    """A monthly cost as a fact: it cites the prices (at the tier used) it was computed from."""
    oid, tier = cheapest["offering_id"], cheapest["tier_min_tokens"] or 0
    parts = [
        _fact(catalog, "offering", oid, attribute, "", tier)
        for attribute in ("price_input", "price_output", "price_cache_read")
        if ("offering", oid, attribute, "", tier) in catalog.facts
    ]
    return {
        "value": cheapest["cost_per_month_usd"],
        "unit": "usd_per_month",
        "verified_at": min(p["verified_at"] for p in parts) if parts else None,
        "sources": sorted({s for p in parts for s in p["sources"]}),
        "provider": cheapest["provider_id"],
        "provider_name": cheapest["provider_name"],
        "offering": oid,
        "tier_min_input_tokens": tier,
        "tier_rule": cheapest["tier_rule"] if tier else None,
    }


def pair_document(catalog: Catalog, row: dict, model_docs: dict[str, dict]) -> dict:
    a, b = row["model_a"], row["model_b"]
    ids = {"a": a, "b": b}
    facts = {side: _model_facts(catalog, mid, MODEL_FACTS[:8]) for side, mid in ids.items()}
    prices = {}
    for kind in ("input", "output", "blended"):
        prices[kind] = {
            "a": _route(catalog, a, kind),
            "b": _route(catalog, b, kind),
            "cheaper": row[f"{kind}_cheaper"],
            "pct_cheaper": row[f"{kind}_pct_cheaper"],
            "pct_more_expensive": row[f"{kind}_pct_more_expensive"],
        }
    doc = {
        "schema_version": SCHEMA_VERSION,
        "kind": "pair",
        "id": pair_file_stem(a, b),
        "models": {
            side: {
                "id": mid,
                "name": catalog.models[mid]["name"],
                "creator": catalog.models[mid]["creator"],
                "document": f"models/{safe_slug(mid)}.json",
            }
            for side, mid in ids.items()
        },
        "last_reviewed": None,
        "assumptions": {
            "prices": "cheapest paid, unflagged, base-tier route listed now; free offers excluded",
            "blend": {
                "input_weight": catalog.blend["input_weight"],
                "output_weight": catalog.blend["output_weight"],
                "formula": f"({catalog.blend['input_weight']} × input + "
                f"{catalog.blend['output_weight']} × output) / "
                f"{catalog.blend['input_weight'] + catalog.blend['output_weight']}",
            },
        },
        "prices": prices,
        "offerings": {
            side: [_pair_offering(o) for o in model_docs[mid]["offerings"]]
            for side, mid in ids.items()
        },
        "monthly_costs": _monthly(catalog, row),
        "limits": {
            "context_window": {
                "a": facts["a"]["context_window"],
                "b": facts["b"]["context_window"],
                "larger": row["larger_context"],
            },
            "max_output_tokens": {"a": _max_output(catalog, a), "b": _max_output(catalog, b)},
        },
        "capabilities": {
            **{cap: {"a": facts["a"][cap], "b": facts["b"][cap]} for cap in CAPABILITIES},
            "only_a": list(row["only_a_capabilities"] or []),
            "only_b": list(row["only_b_capabilities"] or []),
            "unknown": list(row["unknown_capabilities"] or []),
        },
        "license": {"a": facts["a"]["license"], "b": facts["b"]["license"]},
        "open_weights": {"a": facts["a"]["open_weights"], "b": facts["b"]["open_weights"]},
        "release_date": {"a": facts["a"]["release_date"], "b": facts["b"]["release_date"]},
        "shared_providers": list(row["shared_providers"] or []),
        "shared_benchmarks": [],
        "conflicts": {"a": row["conflicts_a"], "b": row["conflicts_b"]},
        "statements": [],
        "stale_sources": [],
        "sources": {},
    }
    for qualifier in row["shared_benchmarks"] or []:
        name, _, setting = qualifier.partition("|")
        doc["shared_benchmarks"].append(
            {
                "name": name,
                "setting": setting,
                "a": _fact(catalog, "model", a, "benchmark", qualifier),
                "b": _fact(catalog, "model", b, "benchmark", qualifier),
            }
        )
    _finish(catalog, doc)
    # Statements are written from the finished document (plain JSON values), so the narrative
    # can only say what the document shows.
    doc["statements"] = narrative.pair_statements(orjson.loads(dumps(doc)))
    return doc


def pair_file_stem(a: str, b: str) -> str:
    return f"{safe_slug(a)}--{safe_slug(b)}"


# --- validation ---------------------------------------------------------------------------
class ReleaseInvalid(ValueError):
    """A document breaks the contract; the release is not published."""


DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"


def _no_retrieval(uri: str):
    """Schemas resolve only among the v1 files: nothing is fetched over the network."""
    raise LookupError(f"{uri} is not one of the {CONTRACT} schemas")


@functools.cache
def _schema_registry() -> jsonschema_rs.Registry:
    """The v1 schemas by ``$id``, so ``$ref`` between the files resolves."""
    return jsonschema_rs.Registry(
        [(s["$id"], s) for s in _schema_files().values()], retriever=_no_retrieval
    )


@functools.cache
def _schema_files() -> dict[str, dict]:
    return {
        p.name.removesuffix(".schema.json"): orjson.loads(p.read_bytes())
        for p in sorted(SCHEMA_DIR.glob("*.schema.json"))
    }


def _validator(schema) -> jsonschema_rs.Draft202012Validator:
    """A Draft 2020-12 validator; building one checks the schema against the meta-schema, that
    each ``pattern`` compiles and that each ``$ref`` resolves. Patterns run on Rust's linear-time
    regex engine (ECMA-262 semantics for the patterns the schemas use: ``$`` is the end of the
    text only, where Python's ``re`` also matched before a final newline)."""
    return jsonschema_rs.Draft202012Validator(
        schema,
        registry=_schema_registry(),
        retriever=_no_retrieval,
        pattern_options=jsonschema_rs.RegexOptions(),
    )


@functools.cache
def schema_validators() -> dict[str, jsonschema_rs.Draft202012Validator]:
    """One validator per document kind, from ``schemas/v1`` (refs resolve between the files)."""
    out = {}
    for kind, schema in _schema_files().items():
        if schema.get("$schema") != DRAFT_2020_12:
            raise ValueError(f"{kind}.schema.json: not a Draft 2020-12 schema")
        out[kind] = _validator(schema)
    return out


def json_path(parts) -> str:
    """A location inside a document, as ``$.offerings[0].prices.input``."""
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


def kind_of(path: str) -> str:
    """The document kind a release path must hold."""
    if path.startswith(f"{CONTRACT}/models/"):
        return "model"
    if path.startswith(f"{CONTRACT}/pairs/"):
        return "pair"
    if path.startswith(f"{CONTRACT}/schemas/"):
        return "schema"
    if path.startswith(f"{SITE}/") and path.endswith(".html"):
        return "page"
    name = path.removeprefix(f"{CONTRACT}/").removesuffix(".json")
    if name in ("index", "catalog", "changes", "manifest"):
        return name
    raise ReleaseInvalid(f"{path}: not a file a v1 release holds")


def document_errors(path: str, body: bytes, limit: int = 5) -> list[str]:
    """Why one release file breaks the contract (empty when it does not): its JSON Schema,
    then what a schema cannot say (cited ids resolve, ``last_reviewed`` is the oldest
    ``verified_at`` shown, statements state distinct facts). Pages must be static HTML.
    Strict JSON only: ``NaN`` and ``Infinity`` are not JSON."""
    kind = kind_of(path)
    if kind == "page":
        text = body.decode("utf-8")
        if not text.startswith("<!doctype html>") or "<script" in text.lower():
            return [f"{path}: not a static HTML page"]
        return []
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return [f"{path}: not JSON ({exc})"]
    if kind == "schema":
        try:
            if not isinstance(doc, dict) or doc.get("$schema") != DRAFT_2020_12:
                return [f"{path}: not a Draft 2020-12 schema"]
            _validator(doc)
        except jsonschema_rs.ValidationError as exc:
            return [f"{path}: {json_path(exc.instance_path)}: {exc.message[:300]}"]
        except (ValueError, jsonschema_rs.ReferencingError) as exc:
            return [f"{path}: {str(exc)[:300]}"]
        return []
    errors = [
        f"{path}: {json_path(e.instance_path)}: {e.message[:300]}"
        for e in itertools.islice(schema_validators()[kind].iter_errors(doc), limit)
    ]
    if errors or kind not in ("model", "pair"):
        return errors
    cited: set[str] = set()
    facts = _scan({k: v for k, v in doc.items() if k != "sources"}, cited)
    unresolved = sorted(cited - set(doc["sources"]))
    if unresolved:
        errors.append(f"{path}: cites responses missing from sources: {unresolved[:5]}")
    dates = [f["verified_at"] for f in facts if f["value"] is not None]
    if doc["last_reviewed"] != (min(dates) if dates else None):
        errors.append(f"{path}: last_reviewed {doc['last_reviewed']} is not the oldest verified_at")
    abouts = [s["about"] for s in doc.get("statements", [])]
    if len(abouts) != len(set(abouts)):
        errors.append(f"{path}: two statements state the same fact")
    return errors


def validate_documents(docs: dict[str, bytes]) -> int:
    """Check every file against the contract; raise ``ReleaseInvalid`` listing what fails.
    Returns how many files were checked."""
    errors = [e for path, body in sorted(docs.items()) for e in document_errors(path, body)]
    if errors:
        raise ReleaseInvalid(
            f"{len(errors)} contract errors; the release was not published:\n"
            + "\n".join(errors[:20])
        )
    return len(docs)


# --- the release --------------------------------------------------------------------------
@contextlib.contextmanager
def _collector_paused():
    """Pause Python's cyclic garbage collector. A release is millions of plain dicts and lists
    (the catalog, the documents, their parsed copies) that form no reference cycles and are
    freed by reference counting; the collector's repeated passes over them find nothing and
    took about a third of the build time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@_collector_paused()
def build_documents(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, blend: dict
) -> dict[str, bytes]:
    """Every v1 document except index, changes and manifest, keyed by release-relative path."""
    for name in ("input_weight", "output_weight"):
        _check_finite(blend[name], f"blend.{name}")
    catalog = read_catalog(con, as_of, blend)
    docs: dict[str, bytes] = {}
    model_docs = {}
    for model_id in sorted(catalog.models):
        document = model_document(catalog, model_id)
        model_docs[model_id] = document
        path = f"{CONTRACT}/models/{safe_slug(model_id)}.json"
        if path in docs:
            raise RuntimeError(f"two models share the file name {path}")
        docs[path] = dumps(document)
    pairs = _rows(
        con, "select * from compare.pair_facts_readable where published order by model_a, model_b"
    )
    monthly = defaultdict(list)
    for row in _rows(
        con,
        "select a.model_id as model_a, b.model_id as model_b, m.profile_id, m.cheaper,"
        " m.pct_cheaper from compare.pair_monthly_costs as m"
        " inner join compare.model_summary as a on a.model_key = m.key_a"
        " inner join compare.model_summary as b on b.model_key = m.key_b"
        " inner join compare.pair_facts as p on p.key_a = m.key_a and p.key_b = m.key_b"
        " where p.published order by m.profile_id",
    ):
        monthly[(row["model_a"], row["model_b"])].append(row)
    for row in pairs:
        row["monthly_costs"] = monthly[(row["model_a"], row["model_b"])]
        path = f"{CONTRACT}/pairs/{pair_file_stem(row['model_a'], row['model_b'])}.json"
        if path in docs:
            raise RuntimeError(f"two pairs share the file name {path}")
        docs[path] = dumps(pair_document(catalog, row, model_docs))
    docs[f"{CONTRACT}/catalog.json"] = dumps(_catalog_listing(catalog, model_docs, pairs))
    for schema in sorted(SCHEMA_DIR.glob("*.schema.json")):
        docs[f"{CONTRACT}/schemas/{schema.name}"] = schema.read_bytes()
    return docs


def _catalog_listing(catalog: Catalog, model_docs: dict, pairs: list[dict]) -> dict:
    """The run-independent part of the index: what the release holds."""
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "catalog",
        "as_of": catalog.as_of,
        "blend": {
            "input_weight": catalog.blend["input_weight"],
            "output_weight": catalog.blend["output_weight"],
        },
        "models": [
            {
                "id": mid,
                "name": d["name"],
                "creator": d["creator"],
                "document": f"models/{safe_slug(mid)}.json",
                "last_reviewed": d["last_reviewed"],
                "published": d["published"],
            }
            for mid, d in model_docs.items()
        ],
        "pairs": [
            {
                "id": pair_file_stem(r["model_a"], r["model_b"]),
                "a": r["model_a"],
                "b": r["model_b"],
                "document": f"pairs/{pair_file_stem(r['model_a'], r['model_b'])}.json",
            }
            for r in pairs
        ],
        "sources": [
            {
                "source": s["source"],
                "title": s["title"],
                "freshness": s["freshness"],
                "last_good_fetch_date": s["last_good_fetch_date"],
                "age_days": s["age_days"],
                "max_age_days": s["max_age_days"],
                "last_error": s["last_error"] if s["freshness"] == "failing" else None,
                "made_fixture": bool(s["made_fixture"]),
            }
            for s in sorted(catalog.source_status.values(), key=lambda s: s["source"])
        ],
    }


@dataclasses.dataclass(frozen=True)
class PublishResult:
    release_id: str
    changed: bool
    files_written: int
    files_linked: int
    release_dir: Path | None
    changes: dict


def release_id_of(docs: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for path in sorted(docs):
        digest.update(path.encode() + b"\0" + hashlib.sha256(docs[path]).digest())
    return digest.hexdigest()[:16]


# --- skipping a release whose inputs did not change ---------------------------------------
# Everything a release is made from: the code and files that shape it, and the warehouse.
INPUT_FILES = (
    "modelcompare/**/*.py",
    "assets/publish.py",
    "sql/*.sql",
    "templates/**/*",
    "schemas/v1/*",
    "registry/*",
)
# Not hashed: raw.observations reaches documents only through the core tables, which are;
# raw.source_loads is the log of every load (a row per load, stamped with the time it ran),
# which reaches documents only through core.source_status; and that table's
# last_attempt_at, the time of the newest load, which no document shows. With them, every
# refresh would look like new input.
SKIPPED_TABLES = {("raw", "observations"), ("raw", "source_loads")}
SKIPPED_COLUMNS = {("core", "source_status", "last_attempt_at")}
INPUTS_FILE = "inputs.json"


def code_fingerprint(root: Path = REPO) -> str:
    """SHA-256 over every file that shapes a release (paths and bytes)."""
    digest = hashlib.sha256()
    paths = sorted({p for pattern in INPUT_FILES for p in root.glob(pattern) if p.is_file()})
    for path in paths:
        if "__pycache__" in path.parts:
            continue
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def warehouse_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """SHA-256 over the content of every table in the raw, core and compare schemas (but
    raw.observations): per table its row count and the sum of one hash per whole row, so any
    changed, added or removed row changes it, whatever the order of the rows."""
    columns: dict[tuple[str, str], list[str]] = defaultdict(list)
    for schema, table, column in con.execute(
        "select c.table_schema, c.table_name, c.column_name from information_schema.columns as c"
        " inner join information_schema.tables as t using (table_catalog, table_schema, table_name)"
        " where t.table_type = 'BASE TABLE' and c.table_catalog = current_database()"
        " and c.table_schema in ('raw', 'core', 'compare')"
        " order by c.table_schema, c.table_name, c.ordinal_position"
    ).fetchall():
        if (schema, table) not in SKIPPED_TABLES and (schema, table, column) not in SKIPPED_COLUMNS:
            columns[(schema, table)].append(column)
    digest = hashlib.sha256()
    for (schema, table), names in sorted(columns.items()):
        quoted = ", ".join('"' + n.replace('"', '""') + '"' for n in names)
        rows, total = con.execute(
            f'select count(*), coalesce(sum(hash({quoted}))::varchar, \'0\') from "{schema}"."{table}"'
        ).fetchone()
        digest.update(f"{schema}.{table}({','.join(names)}):{rows}:{total}\n".encode())
    return digest.hexdigest()


def inputs_fingerprint(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, blend: dict, *, pages: bool
) -> str:
    """One digest of everything a release is built from: warehouse, code, settings, as-of."""
    settings = orjson.dumps(
        {"as_of": as_of.isoformat(), "blend": blend, "pages": pages}, option=orjson.OPT_SORT_KEYS
    )
    digest = hashlib.sha256(settings)
    digest.update(code_fingerprint().encode())
    digest.update(warehouse_fingerprint(con).encode())
    return digest.hexdigest()


def release_for_inputs(export_dir: str | os.PathLike[str], fingerprint: str) -> Path | None:
    """The current release, if it was made from exactly these inputs (else None).

    ``inputs.json`` records the fingerprint with the release it produced; it counts only while
    that release is still the current one, so a crash between the switch and the record, or a
    hand-made switch, simply means one more full render."""
    current = current_release(Path(export_dir))
    try:
        recorded = orjson.loads((Path(export_dir) / INPUTS_FILE).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    if (
        current is not None
        and isinstance(recorded, dict)
        and recorded.get("fingerprint") == fingerprint
        and recorded.get("release_id") == current.name
    ):
        return current
    return None


def record_inputs(export_dir: str | os.PathLike[str], fingerprint: str, release_id: str) -> str:
    """Remember which inputs made the current release (written whole: temporary file, rename).

    Returns "" when recorded (or already recorded), else why not. Failing to record never
    undoes a release: the next run just renders in full."""
    path = Path(export_dir) / INPUTS_FILE
    body = orjson.dumps({"fingerprint": fingerprint, "release_id": release_id}) + b"\n"
    try:
        if not (path.is_file() and path.read_bytes() == body):
            atomic_write(path, body)
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"
    return ""


def current_release(export_dir: Path) -> Path | None:
    link = Path(export_dir) / "current"
    if not link.is_symlink() and not link.exists():
        return None
    target = link.resolve()
    return target if target.is_dir() else None


def publish(
    docs: dict[str, bytes],
    export_dir: str | os.PathLike[str],
    *,
    generated_at: dt.datetime,
    validate: Callable[[dict[str, bytes]], object] | None = None,
    on_step: Callable[[str], None] | None = None,
) -> PublishResult:
    """Write a new release unless it equals the current one; switch ``current`` atomically.

    ``docs`` maps release-relative paths (``v1/...``, ``site/...``) to bytes. ``validate(files)``
    gets every file that needs checking before anything is written, and raises to stop the
    release: all of them, except files byte-identical to the current release's when its copy
    of the schemas is identical too (those passed the same schemas when it was published).
    ``on_step(name)`` is called after each step ("staging" once the first file is in staging,
    "written", "renamed", "switched", "pruned"); tests use it to crash the publish midway.
    An unchanged release returns before touching the disk.
    """
    export_dir = Path(export_dir)
    step = on_step or (lambda name: None)
    clash = sorted(set(docs) & set(RUN_FILES))
    if clash:
        raise ValueError(f"publish writes these itself: {', '.join(clash)}")

    release_id = release_id_of(docs)
    previous = current_release(export_dir)
    if previous is not None and previous.name == release_id:
        return PublishResult(release_id, False, 0, 0, previous, {})

    docs = dict(docs)
    changes = _changes(previous, docs)
    docs[f"{CONTRACT}/changes.json"] = dumps(changes)
    docs[f"{CONTRACT}/index.json"] = dumps(
        {
            "schema_version": SCHEMA_VERSION,
            "kind": "index",
            "release_id": release_id,
            "generated_at": generated_at,
            "previous_release_id": previous.name if previous else None,
            "catalog": "catalog.json",
            "changes": "changes.json",
            "manifest": "manifest.json",
            "schemas": "schemas/",
            "site": f"../{SITE}/index.html" if f"{SITE}/index.html" in docs else None,
        }
    )
    docs[f"{CONTRACT}/manifest.json"] = dumps(
        {
            "schema_version": SCHEMA_VERSION,
            "kind": "manifest",
            "release_id": release_id,
            "generated_at": generated_at,
            "files": {
                path: {"sha256": hashlib.sha256(body).hexdigest(), "bytes": len(body)}
                for path, body in sorted(docs.items())
            },
        }
    )
    same = {path for path, body in docs.items() if _same_file(previous, path, body)}
    if validate is not None:
        schemas = {p for p in docs if p.startswith(f"{CONTRACT}/schemas/")}
        trusted = same if schemas and schemas <= same else set()
        validate({p: body for p, body in docs.items() if p not in trusted})

    export_dir.mkdir(parents=True, exist_ok=True)
    for leftover in export_dir.glob(".staging-*"):
        shutil.rmtree(leftover, ignore_errors=True)  # a crashed publish's half-written folder
    for leftover in export_dir.glob(".current-*"):
        leftover.unlink(missing_ok=True)
    staging = export_dir / f".staging-{uuid.uuid4().hex}"
    written: list[Path] = []
    linked = 0
    try:
        for path, body in sorted(docs.items()):
            target = staging / path
            target.parent.mkdir(parents=True, exist_ok=True)
            if path in same:
                os.link(previous / path, target)  # unchanged: the same file, not rewritten
                linked += 1
            else:
                target.write_bytes(body)
                written.append(target)
            if len(written) + linked == 1:
                step("staging")
        _fsync(written, staging)
        step("written")

        releases = export_dir / "releases"
        releases.mkdir(exist_ok=True)
        final = releases / release_id
        if final.exists():
            # The same documents were published before (a crash after the rename, or a return
            # to an earlier state). ``current`` does not point there (that case returned above),
            # so the old folder is replaced: its index and change feed describe another history.
            shutil.rmtree(final)
        os.replace(staging, final)
        step("renamed")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    tmp_link = export_dir / f".current-{uuid.uuid4().hex}"
    os.symlink(Path("releases") / release_id, tmp_link)
    os.replace(tmp_link, export_dir / "current")
    _fsync_dir(export_dir)
    step("switched")
    _prune(releases, keep={release_id, previous.name if previous else ""})
    step("pruned")
    return PublishResult(release_id, True, len(written), linked, final, changes)


def _same_file(previous: Path | None, path: str, body: bytes) -> bool:
    if previous is None:
        return False
    old = previous / path
    return old.is_file() and old.stat().st_size == len(body) and old.read_bytes() == body


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync(files: list[Path], root: Path) -> None:
    """Flush the new files and every staged folder before the rename, so a power cut never
    publishes a half-written file (linked files are already on disk)."""
    for path in files:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    for folder, _, _ in os.walk(root):
        _fsync_dir(Path(folder))


def _prune(releases: Path, keep: set[str]) -> None:
    dirs = sorted(releases.iterdir(), key=lambda p: (p.stat().st_mtime, p.name), reverse=True)
    for old in dirs[KEEP_RELEASES:]:
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)


def _changes(previous: Path | None, docs: dict[str, bytes]) -> dict:
    """What changed since the previous release: documents, prices, offerings and facts.

    Only the v1 JSON documents count; pages and run files follow from them."""
    out = {"schema_version": SCHEMA_VERSION, "kind": "changes",
           "previous_release_id": previous.name if previous else None,
           "documents_added": [], "documents_removed": [], "documents_changed": [],
           "price_changes": [], "offerings_added": [], "offerings_retired": [], "fact_changes": []}  # fmt: skip
    prefix = f"{CONTRACT}/"
    new_paths = {p for p in docs if p.startswith(prefix) and p not in RUN_FILES}
    if previous is None:
        out["documents_added"] = sorted(p.removeprefix(prefix) for p in new_paths)
        return out
    old_paths = {
        str(p.relative_to(previous)) for p in (previous / CONTRACT).rglob("*.json")
    } - set(RUN_FILES)  # fmt: skip
    for path in sorted(new_paths | old_paths):
        short = path.removeprefix(prefix)
        if path not in old_paths:
            out["documents_added"].append(short)
        elif path not in new_paths:
            out["documents_removed"].append(short)
        elif (previous / path).read_bytes() != docs[path]:
            out["documents_changed"].append(short)
            if path.startswith(f"{prefix}models/"):
                _diff_model(
                    _strict_loads((previous / path).read_bytes()), _strict_loads(docs[path]), out
                )
    return out


def _strict_loads(body: bytes):
    """JSON as published: integers exact at any size, and ``NaN``/``Infinity`` refused."""
    return json.loads(body, parse_constant=_not_json)


def _not_json(name: str):
    raise ValueError(f"{name} is not JSON")


def _diff_model(old: dict, new: dict, out: dict) -> None:
    mid = new["id"]
    for name, fact in new["facts"].items():
        before = old.get("facts", {}).get(name, {}).get("value")
        if before != fact.get("value"):
            out["fact_changes"].append(
                {"model": mid, "fact": name, "from": before, "to": fact.get("value")}
            )
    old_offers = {o["id"]: o for o in old.get("offerings", [])}
    new_offers = {o["id"]: o for o in new.get("offerings", [])}
    for oid in sorted(set(new_offers) - set(old_offers)):
        out["offerings_added"].append(
            {"model": mid, "offering": oid, "provider": new_offers[oid]["provider"]["id"]}
        )
    for oid in sorted(set(old_offers) - set(new_offers)):
        out["offerings_retired"].append(
            {"model": mid, "offering": oid, "provider": old_offers[oid]["provider"]["id"]}
        )
    for oid in sorted(set(old_offers) & set(new_offers)):
        for kind, fact in new_offers[oid]["prices"].items():
            before = old_offers[oid]["prices"].get(kind, {}).get("value")
            if before != fact.get("value"):
                out["price_changes"].append({"model": mid, "offering": oid,
                    "provider": new_offers[oid]["provider"]["id"], "kind": kind,
                    "from": before, "to": fact.get("value")})  # fmt: skip
        if old_offers[oid]["listed_now"] and not new_offers[oid]["listed_now"]:
            out["offerings_retired"].append(
                {"model": mid, "offering": oid, "provider": new_offers[oid]["provider"]["id"]}
            )
