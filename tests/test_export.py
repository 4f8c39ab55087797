"""The JSON contract (v1) on a real release built from the bundled archive: every file matches
its JSON Schema, facts cite responses that resolve, ``last_reviewed`` is the oldest
``verified_at`` shown, no document but the index and manifest carries the run time, and the
Llama 3.2 11B Vision Instruct vs Magistral Small 2509 pair states the recorded figures."""

from __future__ import annotations

import copy
import hashlib
import json

import pytest

from modelcompare import export
from tests._release import PAIR, Built

LLAMA, MAGISTRAL = "llama-3.2-11b-vision-instruct", "magistral-small-2509"


@pytest.fixture(scope="module")
def built(refreshed) -> Built:
    return Built.from_refresh(refreshed)


@pytest.fixture(scope="module")
def files(built) -> dict[str, bytes]:
    return built.files()


@pytest.fixture(scope="module")
def pair(built) -> dict:
    return built.pair()


def _facts(node):
    """Every fact object in a document, found independently of export.iter_facts."""
    if isinstance(node, dict):
        if {"value", "unit", "verified_at", "sources"} <= node.keys():
            yield node
        for key, child in node.items():
            if key not in ("sources", "statements"):
                yield from _facts(child)
    elif isinstance(node, list):
        for child in node:
            yield from _facts(child)


def test_every_file_of_the_release_matches_the_contract(files, built):
    kinds = {export.kind_of(path) for path in files}
    assert kinds == {"index", "catalog", "changes", "manifest", "model", "pair", "schema", "page"}
    # Every file, through the same check the publish step blocks on (JSON Schemas first).
    assert export.validate_documents(files) == len(files)
    # The refresh's publish step checked every file of this first release before writing any.
    assert built.published_counts() == {
        "written": len(files), "linked": 0, "checked": len(files), "release_id": built.release_dir.name
    }  # fmt: skip


def test_schemas_are_draft_2020_12_and_refuse_broken_documents(pair):
    validators = export.schema_validators()
    assert set(validators) == {"defs", "index", "catalog", "model", "pair", "changes", "manifest"}
    for validator in validators.values():
        assert validator.META_SCHEMA["$id"].startswith("https://json-schema.org/draft/2020-12")
    check = validators["pair"]
    assert not list(check.iter_errors(pair))

    broken = copy.deepcopy(pair)
    broken["prices"]["input"]["pct_cheaper"] = 150.0  # "150% cheaper" cannot be stated
    assert any(
        "150.0 is greater than the maximum of 100" in e.message for e in check.iter_errors(broken)
    )

    broken = copy.deepcopy(pair)
    broken["limits"]["context_window"]["a"]["sources"] = []  # a known value with no source
    assert list(check.iter_errors(broken))

    broken = copy.deepcopy(pair)
    del broken["release_date"]["b"]["missing"]  # an unknown value must say why
    assert list(check.iter_errors(broken))

    broken = copy.deepcopy(pair)
    broken["sources"][next(iter(broken["sources"]))]["url"] = "javascript:alert(1)"
    assert list(check.iter_errors(broken))

    broken = copy.deepcopy(pair)
    broken["prices"]["input"]["statement"] = "the ad-hoc field this contract replaced"
    assert any("'statement' was unexpected" in e.message for e in check.iter_errors(broken))


def test_contract_checks_beyond_the_schema(pair):
    body = export.dumps(pair)
    assert export.document_errors(f"v1/pairs/{PAIR}.json", body) == []

    stamped = copy.deepcopy(pair)
    stamped["last_reviewed"] = "2026-08-21"  # the run date, not the oldest fact shown
    assert any(
        "last_reviewed" in e
        for e in export.document_errors("v1/pairs/x--y.json", export.dumps(stamped))
    )

    dangling = copy.deepcopy(pair)
    dangling["sources"].pop(dangling["limits"]["context_window"]["a"]["sources"][0])
    assert any(
        "missing from sources" in e
        for e in export.document_errors("v1/pairs/x--y.json", export.dumps(dangling))
    )

    repeated = copy.deepcopy(pair)
    repeated["statements"].append(dict(repeated["statements"][0]))
    assert any(
        "same fact" in e
        for e in export.document_errors("v1/pairs/x--y.json", export.dumps(repeated))
    )


def test_manifest_lists_every_file_with_its_hash(files):
    manifest = json.loads(files["v1/manifest.json"])
    listed = manifest["files"]
    assert set(listed) == set(files) - {"v1/manifest.json"}
    for path, entry in listed.items():
        assert entry["sha256"] == hashlib.sha256(files[path]).hexdigest(), path
        assert entry["bytes"] == len(files[path])
    index = json.loads(files["v1/index.json"])
    assert manifest["release_id"] == index["release_id"]
    assert index["site"] == "../site/index.html" and "site/index.html" in files


def test_documents_carry_no_run_time(files):
    index = json.loads(files["v1/index.json"])
    stamp = index["generated_at"].encode()
    carrying = sorted(
        path
        for path, body in files.items()
        if not path.startswith("v1/schemas/") and (stamp in body or b'"generated_at"' in body)
    )
    assert carrying == ["v1/index.json", "v1/manifest.json"]


def test_last_reviewed_is_the_oldest_verified_at_shown(files, pair):
    for path, body in files.items():
        if export.kind_of(path) not in ("model", "pair"):
            continue
        doc = json.loads(body)
        dates = [f["verified_at"] for f in _facts(doc) if f["value"] is not None]
        assert doc["last_reviewed"] == (min(dates) if dates else None), path
    # Meta's model card (fetched 2025-07-15) states the Llama license and release date.
    assert pair["last_reviewed"] == "2025-07-15"
    assert pair["license"]["a"]["verified_at"] == "2025-07-15"


def test_every_cited_response_resolves_to_url_and_fetch_time(files):
    for path, body in files.items():
        if export.kind_of(path) not in ("model", "pair"):
            continue
        doc = json.loads(body)
        cited = {rid for fact in _facts(doc) for rid in fact["sources"]}
        cited |= {rid for s in doc.get("statements", []) for rid in s["sources"]}
        assert cited <= set(doc["sources"]), path
        for entry in doc["sources"].values():
            assert entry["url"].startswith(("https://", "http://")) and entry["fetched_at"]


def test_pair_limits_capabilities_license_and_release(pair):
    assert pair["models"]["a"]["name"] == "Llama 3.2 11B Vision Instruct"
    assert pair["models"]["b"]["id"] == MAGISTRAL
    ctx = pair["limits"]["context_window"]
    assert (ctx["a"]["value"], ctx["b"]["value"], ctx["larger"]) == (128000, 128000, "same")
    caps = pair["capabilities"]
    assert (caps["vision"]["a"]["value"], caps["vision"]["b"]["value"]) == (True, True)
    assert (caps["reasoning"]["a"]["value"], caps["reasoning"]["b"]["value"]) == (False, True)
    assert "reasoning" in caps["only_b"] and caps["only_a"] == []
    assert pair["license"]["a"]["name"] == "Llama 3.2 Community License"
    assert pair["license"]["b"]["name"] == "Apache 2.0"
    assert pair["open_weights"]["a"]["value"] is True and pair["open_weights"]["b"]["value"] is True
    assert pair["release_date"]["a"]["value"] == "2024-09-25"
    assert pair["release_date"]["b"]["value"] is None
    assert pair["release_date"]["b"]["missing"]["reason"] == "no_source"
    meta_card = pair["sources"][pair["release_date"]["a"]["sources"][0]]
    assert meta_card["url"].endswith("/models/llama3_2/MODEL_CARD_VISION.md")
    # Conflicting capability flags keep their type: booleans, like the published value.
    assert {side["value"] for side in caps["vision"]["a"]["conflict"]} == {False}


def test_pair_prices_cite_their_sources(pair):
    inp = pair["prices"]["input"]
    assert (inp["a"]["value"], inp["a"]["provider"]) == (0.015, "lambda")
    assert inp["b"]["value"] == 0.5
    assert (inp["cheaper"], inp["pct_cheaper"]) == ("a", 97.0)
    assert "statement" not in inp
    out = pair["prices"]["output"]
    assert (out["a"]["value"], out["b"]["value"], out["pct_cheaper"]) == (0.025, 1.5, 98.3)
    blended = pair["prices"]["blended"]
    assert (blended["a"]["value"], blended["b"]["value"]) == (0.0175, 0.75)
    assert (blended["b"]["input"], blended["b"]["output"]) == (0.5, 1.5)
    for side in ("a", "b"):
        assert inp[side]["sources"] and inp[side]["verified_at"]

    magistral = {o["provider"]["id"]: o for o in pair["offerings"]["b"]}
    for provider in ("mistral", "aws-bedrock"):
        assert (magistral[provider]["input"]["value"], magistral[provider]["output"]["value"]) == (
            0.5,
            1.5,
        )
    mistral_urls = {pair["sources"][r]["url"] for r in magistral["mistral"]["input"]["sources"]}
    assert "https://mistral.ai/pricing" in {u.rstrip("/") for u in mistral_urls}

    bedrock = next(
        o
        for o in pair["offerings"]["a"]
        if o["provider"]["id"] == "aws-bedrock" and o["region"] is None
    )
    assert bedrock["input"]["value"] == 0.16
    assert [side["value"] for side in bedrock["input"]["conflict"]] == [0.35]
    assert pair["sources"][bedrock["input"]["conflict"][0]["sources"][0]]["source"] == "litellm"
    assert "https://aws.amazon.com/bedrock/pricing/" in {
        pair["sources"][r]["url"] for r in bedrock["input"]["sources"]
    }


def test_pair_monthly_costs_and_shared_facts(pair):
    costs = {c["profile"]["id"]: c for c in pair["monthly_costs"]}
    chat = costs["chat-assistant"]
    assert (chat["a"]["value"], chat["a"]["provider"]) == (3.25, "lambda")
    assert (chat["b"]["value"], chat["b"]["unit"]) == (135.0, "usd_per_month")
    assert chat["cheaper"] == "a" and chat["b"]["sources"]
    assert pair["shared_providers"] == ["aws-bedrock", "vercel"]
    bench = pair["shared_benchmarks"][0]
    assert bench["name"] == "Artificial Analysis Intelligence Index"
    assert (bench["a"]["value"], bench["b"]["value"]) == (3.3, 11.3)
    assert pair["assumptions"]["blend"] == {
        "input_weight": 3, "output_weight": 1, "formula": "(3 × input + 1 × output) / 4"
    }  # fmt: skip


def test_catalog_points_at_every_document(files):
    catalog = json.loads(files["v1/catalog.json"])
    assert catalog["as_of"] == "2026-08-21"
    for entry in catalog["models"] + catalog["pairs"]:
        assert f"v1/{entry['document']}" in files
    models = {f for f in files if f.startswith("v1/models/")}
    assert len(models) == len(catalog["models"])
    published = [m["id"] for m in catalog["models"] if m["published"]]
    assert len(catalog["pairs"]) == len(published) * (len(published) - 1) // 2
    assert {LLAMA, MAGISTRAL} <= set(published)
    stale = {s["source"]: s["freshness"] for s in catalog["sources"]}
    assert stale["meta_cards"] == "stale" and stale["page_mistral"] == "fresh"
