"""Record mode against a local server that serves recorded responses, then replay of the
archive it wrote, give identical normalized tables: the archive keeps everything a parse needs
(bytes, URL, fetch time, headers) and nothing else decides the result."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
from werkzeug import Response

from modelcompare import warehouse
from modelcompare.archive import Archive
from modelcompare.fetch import fetch_source
from modelcompare.http import HttpSettings, PoliteClient
from modelcompare.sources import source
from tests.conftest import load_recorded
from tests.harness import finish, load_responses, rows
from tests.loopback import ToLoopback

# One recorded response of each kind of source: JSON API, tarball, YAML, Markdown card, HTML page.
RECORDED = {
    "openrouter": "",
    "litellm": "",
    "models_dev": "",
    "genai_prices": "/aws.yml",
    "hf_cards": "Magistral-Small-2509",
    "page_aws_bedrock": "",
}
TABLES = {
    "raw.observations": "obs_id",
    "raw.responses": "response_id",
    "core.id_resolution": "source, raw_id, fetch_date",
    "core.facts": "scope, subject_id, attribute, qualifier, tier_min_tokens",
    "core.offerings": "offering_id",
    "core.price_history": "offering_id, attribute, tier_min_tokens, source, valid_from",
    "compare.pair_facts": "key_a, key_b",
}


@pytest.fixture
def served(httpserver):
    """The recorded responses, served from 127.0.0.1; the specs fetch one URL each."""
    specs = []
    for name, part in RECORDED.items():
        recorded = load_recorded(name, part)
        url = httpx.URL(recorded.url)
        httpserver.expect_request(f"/{url.host}{url.path}").respond_with_response(
            Response(recorded.body, status=200, content_type=recorded.content_type or "text/plain")
        )
        httpserver.expect_request(f"/{url.host}/robots.txt").respond_with_data("", status=404)
        specs.append(dataclasses.replace(source(name), urls=(recorded.url,)))
    return specs


def snapshot(con) -> dict[str, list[dict]]:
    return {
        table: rows(con, f"select * from {table} order by {order}")
        for table, order in TABLES.items()
    }


def test_record_then_replay_gives_identical_tables(served, httpserver, tmp_path):
    settings = HttpSettings(min_interval_s=0, retries=0, trust_env=False)
    recorded = Archive(tmp_path / "replay")

    live = warehouse.connect(tmp_path / "record.duckdb")
    with PoliteClient(settings, transport=ToLoopback(httpserver.port)) as client:
        for spec in served:
            responses = fetch_source(spec, recorded, client)
            load_responses(live, spec.name, responses[0].fetch_date, responses)
    finish(live)

    replayed = warehouse.connect(tmp_path / "replay.duckdb")
    for name in recorded.sources():
        for fetch_date in recorded.fetch_dates(name):
            metas = recorded.responses(name, fetch_date)
            load_responses(replayed, name, fetch_date, [recorded.load(m) for m in metas])
    finish(replayed)

    before, after = snapshot(live), snapshot(replayed)
    assert len(before["raw.responses"]) == len(RECORDED)
    assert len(before["core.facts"]) > 1000  # a real amount of data went through
    for table in TABLES:
        assert before[table] == after[table], table
    for meta in recorded.iter_responses():
        original = load_recorded(meta.source, RECORDED[meta.source])
        assert meta.url == original.url  # archived under the live URL
        assert recorded.load(meta).body == original.body  # the bytes that were served
