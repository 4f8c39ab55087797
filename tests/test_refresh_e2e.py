"""The whole refresh, as the README runs it (``scripts/refresh``: the Dagster CLI over the
bundled replay archive), checked against the figures the recorded sources state for the two
example models, and against the faults of the comparison pages that inspired the project."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.conftest import REPO

LLAMA = "llama-3.2-11b-vision-instruct"
MAGISTRAL = "magistral-small-2509"


def load(refreshed, path: str) -> dict:
    return json.loads((refreshed["v1"] / path).read_text())


@pytest.fixture(scope="module")
def pair(refreshed):
    return load(refreshed, f"pairs/{LLAMA}--{MAGISTRAL}.json")


@pytest.fixture(scope="module")
def llama(refreshed):
    return load(refreshed, f"models/{LLAMA}.json")


@pytest.fixture(scope="module")
def magistral(refreshed):
    return load(refreshed, f"models/{MAGISTRAL}.json")


def test_refresh_prints_what_it_produced(refreshed):
    out = refreshed["stdout"]
    assert "refresh: 3/3" in out
    assert "model documents" in out and "pair documents" in out
    assert str(refreshed["exports"]) in out


def test_one_model_whatever_the_id(llama):
    raw_ids = {raw_id for offering in llama["offerings"] for raw_id in offering["raw_ids"]}
    assert {
        "meta.llama3-2-11b-instruct-v1:0",  # Bedrock (LiteLLM, genai-prices)
        "meta-llama/llama-3.2-11b-vision-instruct",  # OpenRouter
        "@cf/meta/llama-3.2-11b-vision-instruct",  # Cloudflare (models.dev)
    } <= raw_ids


def test_magistral_versions_are_separate_models(refreshed, magistral):
    older = load(refreshed, "models/magistral-small-2506.json")
    assert older["id"] == "magistral-small-2506" != magistral["id"]
    older_ids = {r for o in older["offerings"] for r in o["raw_ids"]}
    newer_ids = {r for o in magistral["offerings"] for r in o["raw_ids"]}
    assert "mistralai/magistral-small-2506" in older_ids
    assert "mistral.magistral-small-2509" in newer_ids
    assert not any("2506" in r for r in newer_ids)


def test_pair_limits_capabilities_and_licenses(pair):
    ctx = pair["limits"]["context_window"]
    assert ctx["a"]["value"] == ctx["b"]["value"] == 128000  # 128,000 and 131,072: one fact
    assert ctx["larger"] == "same"
    caps = pair["capabilities"]
    assert caps["vision"]["a"]["value"] is True and caps["vision"]["b"]["value"] is True
    assert caps["reasoning"]["a"]["value"] is False and caps["reasoning"]["b"]["value"] is True
    assert pair["license"]["a"]["value"] == "llama3.2"
    assert pair["license"]["a"]["name"] == "Llama 3.2 Community License"
    assert pair["license"]["b"]["value"] == "apache-2.0"
    assert pair["license"]["b"]["name"] == "Apache 2.0"
    assert pair["open_weights"]["a"]["value"] is True and pair["open_weights"]["b"]["value"] is True
    assert pair["release_date"]["a"]["value"] == "2024-09-25"
    for side in ("a", "b"):
        for fact in (ctx[side], caps["vision"][side], pair["license"][side]):
            assert fact["sources"], fact  # every fact shown names its sources
            for response_id in fact["sources"]:
                assert pair["sources"][response_id]["url"].startswith("https://")
                assert pair["sources"][response_id]["fetched_at"]


def test_magistral_conflicts_shown_with_every_source(magistral):
    context = magistral["facts"]["context_window"]
    assert context["value"] == 128000 and context["chosen_source"] == "hf_cards"  # the card first
    limits = [c for c in context["conflict"] if c.get("kind") == "offering limits below context"]
    assert {(c["source"], c["raw_id"]) for c in limits} >= {
        ("litellm", "mistral/magistral-small-1-2-2509")
    }
    assert all(c["sources"] for c in limits)
    vision = magistral["facts"]["vision"]
    assert vision["value"] is True and vision["chosen_source"] == "hf_cards"
    text_only = {(c["source"], c["provider"]) for c in vision["conflict"] if c["value"] is False}
    assert ("models_dev", "mistral") in text_only


def test_magistral_prices_at_mistral_and_bedrock(magistral):
    by_provider = {o["provider"]["id"]: o for o in magistral["offerings"] if not o["variant"]}
    for provider in ("mistral", "aws-bedrock"):
        prices = by_provider[provider]["prices"]
        assert prices["input"]["value"] == 0.5
        assert prices["output"]["value"] == 1.5
        assert prices["input"]["unit"] == "usd_per_million_tokens"


def test_llama_offered_by_several_providers_each_with_price_and_date(llama):
    priced = [
        o for o in llama["offerings"] if o["prices"].get("input", {}).get("value") is not None
    ]
    assert len({o["provider"]["id"] for o in priced}) >= 10
    for offering in priced:
        assert offering["prices"]["input"]["verified_at"]
        assert offering["prices"]["input"]["sources"]
    bedrock = next(
        o for o in priced if o["provider"]["id"] == "aws-bedrock" and o["region"] is None
    )
    assert bedrock["prices"]["input"]["value"] == 0.16
    assert [c["value"] for c in bedrock["prices"]["input"]["conflict"]] == [0.35]


def test_no_faults_of_the_pages_that_inspired_the_project(refreshed):
    catalog = load(refreshed, "catalog.json")
    for entry in catalog["pairs"]:
        doc = load(refreshed, entry["document"])
        for kind, comparison in doc["prices"].items():
            if comparison["pct_cheaper"] is not None:
                assert 0 <= comparison["pct_cheaper"] <= 100, (entry, kind)
        for side in ("a", "b"):
            route = doc["prices"]["input"][side]
            if route is not None:
                assert route["value"] > 0  # no free or $0 offer counted as cheapest
            if doc["license"][side].get("name") and doc["open_weights"][side]["value"] is not None:
                # no open-weight model called proprietary: a weights license settles it
                assert doc["open_weights"][side]["value"] is (
                    doc["license"][side]["value"] != "proprietary"
                )


def test_every_shown_fact_has_a_source(refreshed, pair, llama):
    def walk(node):
        if isinstance(node, dict):
            if "value" in node and "sources" in node and "verified_at" in node:
                yield node
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    for doc in (pair, llama):
        facts = list(walk(doc))
        assert len(facts) > 20
        for fact in facts:
            if fact["value"] is not None:
                assert fact["sources"] and fact["verified_at"], fact
            else:
                assert fact["sources"] == [] and fact.get("missing"), fact


def test_last_reviewed_is_a_fact_date_not_the_run_date(refreshed, pair):
    index = load(refreshed, "index.json")
    assert pair["last_reviewed"] < index["generated_at"][:10]
    assert "generated_at" not in pair


def test_second_run_publishes_nothing(refreshed):
    """The whole refresh again on the same archive: every source is loaded again, and the
    release step sees the same inputs, renders nothing and writes nothing."""
    before = {p: p.stat().st_mtime_ns for p in refreshed["v1"].rglob("*.json")}
    done = subprocess.run(
        [str(REPO / "scripts" / "refresh")],
        cwd=REPO,
        env=refreshed["env"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Nothing changed since release" in done.stderr + done.stdout
    # Same warehouse content, code and settings: it was not even rendered again.
    assert "same inputs (fingerprint" in done.stderr + done.stdout
    after = {p: p.stat().st_mtime_ns for p in refreshed["v1"].rglob("*.json")}
    assert after == before
