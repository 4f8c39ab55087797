"""Release: JSON documents built from facts and pair facts, published whole or not at all.

Contract (schema_version 1): ``v1/index.json``, ``v1/models/<model>.json``,
``v1/pairs/<a>--<b>.json``, ``v1/changes.json`` and ``v1/manifest.json``. Every fact is an
object ``{"value", "unit", "verified_at", "sources": [response ids], ...}`` and every document
lists the responses it cites under ``sources`` (url, fetched_at). ``last_reviewed`` is the oldest
``verified_at`` among the facts a document shows, never the run date; the run time appears only
in the index and the manifest, so an unchanged document is byte-identical run after run.

Publishing writes a complete release into a staging folder, validates it, renames it into
``releases/<release_id>`` and swaps the ``current`` symlink atomically. A crash at any point
leaves ``current`` pointing at the previous, whole release. A run whose documents equal the
current release's writes nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import hashlib
import json
import os
import shutil
import uuid
from collections import defaultdict
from pathlib import Path

import duckdb

from modelcompare.slugs import safe_slug

SCHEMA_VERSION = "1.0"
CONTRACT = "v1"
KEEP_RELEASES = 5

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
OFFERING_LIMITS = ("context_window", "max_input_tokens", "max_output_tokens")
MISSING = "no source states it"


# --- JSON ---------------------------------------------------------------------------------
def _plain(value):
    """Decimals as JSON numbers with the same digits (checked), dates as ISO text."""
    if isinstance(value, decimal.Decimal):
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
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def dumps(doc: dict) -> bytes:
    return (json.dumps(_plain(doc), indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode()


# --- reading facts ------------------------------------------------------------------------
def _rows(con: duckdb.DuckDBPyConnection, sql: str, params=None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _date(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).date().isoformat()
    return value.isoformat() if isinstance(value, dt.date) else str(value)


@dataclasses.dataclass
class Catalog:
    """Everything the documents are rendered from, read once from DuckDB."""

    as_of: dt.date
    facts: dict[tuple, dict]  # (scope, subject_id, attribute, qualifier, tier) -> fact row
    fact_keys: dict[tuple, list[tuple]]  # (scope, subject_id) -> keys of its facts, sorted
    fact_sources: dict[tuple, list[dict]]
    models: dict[str, dict]
    offerings: dict[str, list[dict]]  # model_id -> offerings
    history: dict[str, list[dict]]  # offering_id -> history rows
    responses: dict[str, dict]
    source_status: dict[str, dict]
    licenses: dict[str, dict]
    summaries: dict[str, dict]
    limit_conflicts: dict[
        str, list[dict]
    ]  # model_id -> offerings whose limits cannot hold its context
    profile_costs: dict[str, list[dict]]
    profiles: list[dict]
    blend: dict


def read_catalog(con: duckdb.DuckDBPyConnection, as_of: dt.date, blend: dict) -> Catalog:
    facts = {}
    by_subject = defaultdict(list)
    for row in _rows(con, "select * from core.facts"):
        key = (
            row["scope"],
            row["subject_id"],
            row["attribute"],
            row["qualifier"],
            row["tier_min_tokens"],
        )
        facts[key] = row
        by_subject[(row["scope"], row["subject_id"])].append(key)
    fact_sources = defaultdict(list)
    for row in _rows(
        con,
        "select scope, subject_id, attribute, qualifier, tier_min_tokens, response_id, source,"
        " raw_id, provider_id, raw_value, raw_unit, num_value, text_value, reject_reason,"
        " is_chosen, agrees from core.fact_sources order by source, response_id, raw_id, provider_id, obs_id",
    ):
        key = (
            row["scope"],
            row["subject_id"],
            row["attribute"],
            row["qualifier"],
            row["tier_min_tokens"],
        )
        fact_sources[key].append(row)
    offerings = defaultdict(list)
    for row in _rows(con, "select * from core.offerings order by provider_id, offering_id"):
        offerings[row["model_id"]].append(row)
    history = defaultdict(list)
    for row in _rows(
        con,
        "select * from core.price_history order by offering_id, attribute, tier_min_tokens, source,"
        " valid_from, basis, valid_to, num_value",
    ):
        history[row["offering_id"]].append(row)
    profile_costs = defaultdict(list)
    for row in _rows(con, "select * from compare.model_profile_costs order by profile_id"):
        profile_costs[row["model_id"]].append(row)
    return Catalog(
        as_of=as_of,
        facts=facts,
        fact_keys={k: sorted(v) for k, v in by_subject.items()},
        fact_sources=fact_sources,
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


# --- documents ----------------------------------------------------------------------------
class _Doc:
    """Collects the facts a document shows, its cited responses and its oldest verified_at."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.cited: set[str] = set()
        self.verified: list[str] = []
        self.stale: set[str] = set()

    def fact(
        self, scope: str, subject_id: str, attribute: str, qualifier: str = "", tier: int = 0
    ) -> dict:
        row = self.catalog.facts.get((scope, subject_id, attribute, qualifier, tier))
        if row is None:
            return {
                "value": None,
                "unit": None,
                "verified_at": None,
                "sources": [],
                "missing": MISSING,
            }
        sources = self.catalog.fact_sources[(scope, subject_id, attribute, qualifier, tier)]
        agreeing = sorted({s["response_id"] for s in sources if s["agrees"]})
        self.cited.update(agreeing)
        verified = _date(row["verified_at"])
        self.verified.append(verified)
        chosen = next((s for s in sources if s["is_chosen"]), None)
        status = self.catalog.source_status.get(row["chosen_source"], {})
        if status.get("freshness") in ("stale", "failing"):
            self.stale.add(row["chosen_source"])
        value = row["num_value"] if row["num_value"] is not None else row["text_value"]
        if row["unit"] == "bool":
            value = row["text_value"] == "true"
        elif attribute in OFFERING_LIMITS and value is not None:
            value = int(value)
        out = {
            "value": value,
            "unit": row["unit"],
            "verified_at": verified,
            "sources": agreeing,
            "chosen_source": row["chosen_source"],
            "raw": {
                "id": chosen["raw_id"],
                "value": chosen["raw_value"],
                "unit": chosen["raw_unit"],
            }
            if chosen
            else None,
        }
        disagreeing = [s for s in sources if not s["agrees"] and s["reject_reason"] is None]
        if disagreeing:
            self.cited.update(s["response_id"] for s in disagreeing)
            out["conflict"] = [
                {
                    "value": s["num_value"] if s["num_value"] is not None else s["text_value"],
                    "source": s["source"],
                    "raw_id": s["raw_id"],
                    "provider": s["provider_id"],
                    "sources": [s["response_id"]],
                }
                for s in disagreeing
            ]
        rejected = [s for s in sources if s["reject_reason"] is not None]
        if rejected:
            self.cited.update(s["response_id"] for s in rejected)
            out["rejected"] = [
                {"raw_value": s["raw_value"], "raw_unit": s["raw_unit"], "reason": s["reject_reason"],
                 "source": s["source"], "sources": [s["response_id"]]}
                for s in rejected
            ]  # fmt: skip
        return out

    def sources_block(self) -> dict:
        out = {}
        for rid in sorted(self.cited):
            r = self.catalog.responses.get(rid)
            if r is None:
                continue
            out[rid] = {
                "source": r["source"],
                "title": r["title"],
                "url": r["url"],
                "fetched_at": r["fetched_at"],
                "fetched_at_approximate": bool(r["fetched_at_approximate"]),
                "made_fixture": bool(r["made_fixture"]),
            }
        return out

    def last_reviewed(self) -> str | None:
        dates = [d for d in self.verified if d]
        return min(dates) if dates else None


def _model_facts(doc: _Doc, model_id: str) -> dict:
    out = {name: doc.fact("model", model_id, name) for name in MODEL_FACTS}
    limits = doc.catalog.limit_conflicts.get(model_id, [])
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
        doc.cited.update(side["response_id"] for side in limits)
    license_id = out["license"]["value"]
    known = doc.catalog.licenses.get(license_id) if license_id else None
    if known:
        out["license"]["name"] = known["name"]
        # A license that grants downloadable weights settles open_weights; the stated flags
        # stay visible as the conflict if any source said otherwise.
        stated = out["open_weights"]
        out["open_weights"] = {
            **out["license"],
            "value": known["open_weights"],
            "unit": "bool",
            "basis": f"license {license_id}",
        }
        out["open_weights"].pop("name", None)
        if stated.get("value") is not None and stated["value"] != known["open_weights"]:
            out["open_weights"]["conflict"] = [
                {
                    "value": stated["value"],
                    "source": stated["chosen_source"],
                    "sources": stated["sources"],
                }
            ]
    return out


def _offering_doc(doc: _Doc, offering: dict) -> dict:
    oid = offering["offering_id"]
    prices, tiers = {}, defaultdict(dict)
    for key in doc.catalog.fact_keys.get(("offering", oid), []):
        scope, subject, attribute, qualifier, tier = key
        row = doc.catalog.facts[key]
        if attribute not in PRICE_KINDS:
            continue
        if tier == 0:
            prices[PRICE_KINDS[attribute]] = doc.fact(scope, subject, attribute, qualifier, tier)
        else:
            entry = tiers[tier]
            entry["min_input_tokens"] = tier
            entry["rule"] = row["tier_rule"] or "whole_request"
            entry[PRICE_KINDS[attribute]] = doc.fact(scope, subject, attribute, qualifier, tier)
    history = [
        {
            "kind": PRICE_KINDS.get(h["attribute"], h["attribute"]),
            "min_input_tokens": h["tier_min_tokens"],
            "value": h["num_value"],
            "unit": "usd_per_million_tokens",
            "valid_from": h["valid_from"],
            "valid_to": h["valid_to"],
            "source": h["source"],
            "basis": h["basis"],
        }
        for h in doc.catalog.history.get(oid, [])
    ]
    return {
        "id": oid,
        "provider": {"id": offering["provider_id"], "name": offering["provider_name"],
                     "kind": offering["provider_kind"]},
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
        "limits": {name: doc.fact("offering", oid, name) for name in OFFERING_LIMITS},
        "capabilities": {name: doc.fact("offering", oid, name) for name in CAPABILITIES},
        "price_history": history,
    }  # fmt: skip


def _route(route: dict | None) -> dict | None:
    if not route or route.get("price") is None:
        return None
    return {
        "value": route["price"],
        "unit": "usd_per_million_tokens",
        "provider": route["provider_id"],
        "provider_name": route["provider_name"],
        "region": route["region"],
        "offering": route["offering_id"],
        "verified_at": _date(route["verified_at"]),
    }


def model_document(catalog: Catalog, model_id: str) -> dict:
    doc = _Doc(catalog)
    model = catalog.models[model_id]
    facts = _model_facts(doc, model_id)
    benchmarks = []
    for scope, subject, attribute, qualifier, tier in (
        k for k in catalog.fact_keys.get(("model", model_id), []) if k[2] == "benchmark"
    ):
        name, _, setting = qualifier.partition("|")
        benchmarks.append(
            {
                "name": name,
                "setting": setting,
                **doc.fact(scope, subject, attribute, qualifier, tier),
            }
        )
    offerings = [_offering_doc(doc, o) for o in catalog.offerings.get(model_id, [])]
    summary = catalog.summaries.get(model_id, {})
    cheapest = {
        kind: _route(summary.get(f"cheapest_{kind}")) for kind in ("input", "output", "blended")
    }
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "model",
        "id": model_id,
        "name": model["name"],
        "creator": model["creator"],
        "family": model["family"],
        "version": model["version"],
        "size": model["size"],
        "curated": bool(model["curated"]),
        "last_reviewed": doc.last_reviewed(),
        "facts": facts,
        "benchmarks": benchmarks,
        "cheapest_paid": cheapest,
        "offerings": offerings,
        "stale_sources": sorted(doc.stale),
        "sources": doc.sources_block(),
    }


def _pct_statement(kind: str, names: dict, row: dict) -> str | None:
    side = row[f"{kind}_cheaper"]
    if side in (None,):
        return None
    if side == "same":
        return f"{names['a']} and {names['b']} cost the same per million {kind} tokens on their cheapest paid routes."
    other = "b" if side == "a" else "a"
    return (
        f"{names[side]} is {row[f'{kind}_pct_cheaper']}% cheaper than {names[other]} on {kind} tokens "
        f"({names[other]} costs {row[f'{kind}_pct_more_expensive']}% more), cheapest paid routes compared."
    )


def pair_document(catalog: Catalog, row: dict, model_docs: dict[str, dict]) -> dict:
    doc = _Doc(catalog)
    a, b = row["model_a"], row["model_b"]
    names = {"a": catalog.models[a]["name"], "b": catalog.models[b]["name"]}
    facts = {"a": _model_facts(doc, a), "b": _model_facts(doc, b)}
    for side in ("a", "b"):
        summary = catalog.summaries.get(row[f"model_{side}"], {})
        for kind in ("input", "output", "blended"):
            route = summary.get(f"cheapest_{kind}")
            if route and route.get("offering_id"):
                attr = {"input": "price_input", "output": "price_output"}.get(kind)
                if attr:
                    doc.fact("offering", route["offering_id"], attr)
                else:
                    doc.fact("offering", route["offering_id"], "price_input")
                    doc.fact("offering", route["offering_id"], "price_output")
    prices = {}
    for kind in ("input", "output", "blended"):
        prices[kind] = {
            "a": _route(catalog.summaries.get(a, {}).get(f"cheapest_{kind}")),
            "b": _route(catalog.summaries.get(b, {}).get(f"cheapest_{kind}")),
            "cheaper": row[f"{kind}_cheaper"],
            "pct_cheaper": row[f"{kind}_pct_cheaper"],
            "statement": _pct_statement(kind, names, row) if kind != "blended" else None,
        }
        if kind != "blended":
            prices[kind]["pct_more_expensive"] = row[f"{kind}_pct_more_expensive"]
    costs = {p["profile_id"]: p for p in catalog.profiles}
    monthly = []
    for item in row["monthly_costs"] or []:
        profile = costs[item["profile_id"]]
        per_side = {}
        for side in ("a", "b"):
            match = next(
                (
                    c
                    for c in catalog.profile_costs.get(row[f"model_{side}"], [])
                    if c["profile_id"] == item["profile_id"]
                ),
                None,
            )
            cheapest = match["cheapest"] if match else None
            per_side[side] = (
                {
                    "usd_per_month": cheapest["cost_per_month_usd"],
                    "provider": cheapest["provider_id"],
                    "offering": cheapest["offering_id"],
                    "tier_min_input_tokens": cheapest["tier_min_tokens"],
                    "tier_rule": cheapest["tier_rule"] if cheapest["tier_min_tokens"] else None,
                }
                if cheapest and cheapest.get("cost_per_month_usd") is not None
                else None
            )
        monthly.append(
            {
                "profile": {
                    "id": profile["profile_id"],
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
    shared_providers = list(row["shared_providers"] or [])
    doc_out = {
        "schema_version": SCHEMA_VERSION,
        "kind": "pair",
        "id": pair_file_stem(a, b),
        "models": {
            "a": {"id": a, "name": names["a"], "document": f"models/{safe_slug(a)}.json"},
            "b": {"id": b, "name": names["b"], "document": f"models/{safe_slug(b)}.json"},
        },
        "last_reviewed": None,
        "assumptions": {
            "prices": "cheapest paid, unflagged, base-tier route listed now; free offers excluded",
            "blend": {
                "input_weight": catalog.blend["input_weight"],
                "output_weight": catalog.blend["output_weight"],
                "formula": f"({catalog.blend['input_weight']} × input + {catalog.blend['output_weight']} × output)"
                f" / {catalog.blend['input_weight'] + catalog.blend['output_weight']}",
            },
        },
        "prices": prices,
        "monthly_costs": monthly,
        "limits": {
            "context_window": {"a": facts["a"]["context_window"], "b": facts["b"]["context_window"],
                               "larger": row["larger_context"]},
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
        "shared_providers": shared_providers,
        "shared_benchmarks": [],
        "conflicts": {"a": row["conflicts_a"], "b": row["conflicts_b"]},
        "stale_sources": [],
        "sources": {},
    }  # fmt: skip
    for qualifier in row["shared_benchmarks"] or []:
        name, _, setting = qualifier.partition("|")
        doc_out["shared_benchmarks"].append(
            {
                "name": name,
                "setting": setting,
                "a": doc.fact("model", a, "benchmark", qualifier),
                "b": doc.fact("model", b, "benchmark", qualifier),
            }
        )
    doc_out["last_reviewed"] = doc.last_reviewed()
    doc_out["stale_sources"] = sorted(doc.stale)
    doc_out["sources"] = doc.sources_block()
    return doc_out


def pair_file_stem(a: str, b: str) -> str:
    return f"{safe_slug(a)}--{safe_slug(b)}"


def build_documents(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, blend: dict
) -> dict[str, bytes]:
    """Every release document except index and manifest, keyed by relative path."""
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
        "select a.model_id as model_a, b.model_id as model_b, m.profile_id, m.cheaper, m.pct_cheaper"
        " from compare.pair_monthly_costs as m"
        " inner join compare.model_summary as a on a.model_key = m.key_a"
        " inner join compare.model_summary as b on b.model_key = m.key_b"
        " inner join compare.pair_facts as p on p.key_a = m.key_a and p.key_b = m.key_b"
        " where p.published order by m.profile_id",
    ):
        monthly[(row["model_a"], row["model_b"])].append(row)
    for row in pairs:
        row["monthly_costs"] = monthly[(row["model_a"], row["model_b"])]
        docs[f"{CONTRACT}/pairs/{pair_file_stem(row['model_a'], row['model_b'])}.json"] = dumps(
            pair_document(catalog, row, model_docs)
        )
    docs[f"{CONTRACT}/catalog.json"] = dumps(_catalog_listing(catalog, model_docs, pairs))
    return docs


def _catalog_listing(catalog: Catalog, model_docs: dict, pairs: list[dict]) -> dict:
    """The run-independent part of the index: what the release holds."""
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "catalog",
        "as_of": catalog.as_of,
        "models": [
            {
                "id": mid,
                "name": d["name"],
                "document": f"models/{safe_slug(mid)}.json",
                "last_reviewed": d["last_reviewed"],
                "published": bool(catalog.models[mid]["publish"]),
            }
            for mid, d in model_docs.items()
        ],
        "pairs": [
            {
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
                "last_error": s["last_error"] if s["freshness"] == "failing" else None,
                "made_fixture": bool(s["made_fixture"]),
            }
            for s in sorted(catalog.source_status.values(), key=lambda s: s["source"])
        ],
    }


# --- publishing ---------------------------------------------------------------------------
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


def current_release(export_dir: Path) -> Path | None:
    link = export_dir / "current"
    if not link.is_symlink() and not link.exists():
        return None
    target = link.resolve()
    return target if target.is_dir() else None


def publish(
    docs: dict[str, bytes],
    export_dir: str | os.PathLike[str],
    *,
    generated_at: dt.datetime,
    validate=None,
    on_step=None,
) -> PublishResult:
    """Write a new release unless it equals the current one; switch ``current`` atomically.

    ``validate(path, bytes)`` raises to stop the release before the switch. ``on_step(name)``
    is called between steps (tests use it to crash the publish midway).
    """
    export_dir = Path(export_dir)
    export_dir.mkdir(parents=True, exist_ok=True)
    step = on_step or (lambda name: None)
    for stale in export_dir.glob(".staging-*"):
        shutil.rmtree(stale, ignore_errors=True)

    release_id = release_id_of(docs)
    previous = current_release(export_dir)
    if previous is not None and previous.name == release_id:
        return PublishResult(release_id, False, 0, 0, previous, {})

    changes = _changes(previous, docs)
    docs = dict(docs)
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
        }
    )
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "kind": "manifest",
        "release_id": release_id,
        "generated_at": generated_at,
        "files": {
            path.removeprefix(f"{CONTRACT}/"): {
                "sha256": hashlib.sha256(body).hexdigest(),
                "bytes": len(body),
            }
            for path, body in sorted(docs.items())
        },
    }
    docs[f"{CONTRACT}/manifest.json"] = dumps(manifest)

    staging = export_dir / f".staging-{uuid.uuid4().hex}"
    written = linked = 0
    for path, body in sorted(docs.items()):
        target = staging / path
        target.parent.mkdir(parents=True, exist_ok=True)
        old = previous / path if previous else None
        if (
            old is not None
            and old.is_file()
            and old.stat().st_size == len(body)
            and old.read_bytes() == body
        ):
            os.link(old, target)  # unchanged: the same file, not rewritten
            linked += 1
        else:
            target.write_bytes(body)
            written += 1
        if validate is not None:
            validate(path, body)
    step("written")

    releases = export_dir / "releases"
    releases.mkdir(exist_ok=True)
    final = releases / release_id
    if final.exists():
        shutil.rmtree(staging)
    else:
        os.replace(staging, final)
    step("renamed")
    tmp_link = export_dir / f".current-{uuid.uuid4().hex}"
    os.symlink(Path("releases") / release_id, tmp_link)
    os.replace(tmp_link, export_dir / "current")
    step("switched")
    _prune(releases, keep={release_id, previous.name if previous else ""})
    return PublishResult(release_id, True, written, linked, final, changes)


def _prune(releases: Path, keep: set[str]) -> None:
    dirs = sorted(releases.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in dirs[KEEP_RELEASES:]:
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)


def _changes(previous: Path | None, docs: dict[str, bytes]) -> dict:
    """What changed since the previous release: documents, prices and facts."""
    out = {"schema_version": SCHEMA_VERSION, "kind": "changes",
           "previous_release_id": previous.name if previous else None,
           "documents_added": [], "documents_removed": [], "documents_changed": [],
           "price_changes": [], "offerings_added": [], "offerings_retired": [], "fact_changes": []}  # fmt: skip
    if previous is None:
        out["documents_added"] = sorted(p.removeprefix(f"{CONTRACT}/") for p in docs)
        return out
    old_paths = {
        str(p.relative_to(previous)) for p in previous.rglob("*.json")
        if p.name not in ("index.json", "manifest.json", "changes.json")
    }  # fmt: skip
    for path in sorted(set(docs) | old_paths):
        short = path.removeprefix(f"{CONTRACT}/")
        if path not in old_paths:
            out["documents_added"].append(short)
        elif path not in docs:
            out["documents_removed"].append(short)
        elif (previous / path).read_bytes() != docs[path]:
            out["documents_changed"].append(short)
            if "/models/" in path:
                _diff_model(json.loads((previous / path).read_bytes()), json.loads(docs[path]), out)
    return out


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
