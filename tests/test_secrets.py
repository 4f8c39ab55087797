"""An API key for a live source: read from the environment, sent to its host only, and found
nowhere afterwards, through the whole pipeline.

``test_http.py`` and ``test_fetch_faults.py`` check the client and ``fetch_source`` alone. Here
a live refresh runs through Dagster (archive index, the OpenRouter assets in live mode, facts,
pair facts, release) against a server on 127.0.0.1 that stands in for openrouter.ai: requests
keep their real URL, so the key goes where it would in production, and the transport delivers
them to the loopback server. The server checks that it got the key, then misbehaves the way a
real one might: it sets a cookie holding the key, echoes the key in a response header, and on
one URL answers 401 with the key in the error body. Afterwards the key must not be in the
archive (metadata or any body), any table of the warehouse, any file of the release, any log
record, any Dagster event, or anything printed.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import logging
import secrets

import dagster as dg
import duckdb
import pytest
from werkzeug.wrappers import Response

from modelcompare import http as http_module
from modelcompare.archive import Archive
from modelcompare.fetch import fetch_source
from modelcompare.http import FetchError, HttpSettings, PoliteClient
from modelcompare.sources import source
from tests.hostile import inputs
from tests.hostile.pipeline import Layout, refresh, whole_release
from tests.loopback import ToLoopback

ENV = "OPENROUTER_API_KEY"
MODELS_PATH = "/openrouter.ai/api/v1/models"


@pytest.fixture
def key(monkeypatch) -> str:
    value = f"sk-or-v1-mcsecret-{secrets.token_hex(16)}"
    monkeypatch.setenv(ENV, value)
    return value


@pytest.fixture
def loopback(monkeypatch, httpserver_ipv4):
    """Every PoliteClient the pipeline makes talks to the loopback server, with settings fit
    for it (no proxy from the environment, no retries, no pause between requests)."""
    real_settings, real_client = HttpSettings, PoliteClient

    def settings(**given):
        return real_settings(**{**given, "retries": 0, "min_interval_s": 0.0, "trust_env": False})

    class LoopbackClient(real_client):
        def __init__(self, settings=None, **kwargs):
            super().__init__(settings, transport=ToLoopback(httpserver_ipv4.port), **kwargs)

    monkeypatch.setattr(http_module, "HttpSettings", settings)
    monkeypatch.setattr(http_module, "PoliteClient", LoopbackClient)
    return httpserver_ipv4


def _serve(server, key: str, seen: list) -> None:
    published = [
        {"id": "mistralai/magistral-small-2509", "name": "Magistral Small 1.2",
         "context_length": 40000, "pricing": {"prompt": "0.0000005", "completion": "0.0000015"}},
        {"id": "mistralai/magistral-small-2506", "name": "Magistral Small 1.0",
         "context_length": 40000, "pricing": {"prompt": "0.0000005", "completion": "0.000002"}},
    ]  # fmt: skip
    body = inputs.openrouter_models(published)

    def models(request):
        seen.append(request.headers.get("Authorization"))
        return Response(
            body,
            content_type="application/json",
            headers={
                "Set-Cookie": f"session={key}; Path=/",
                "X-Echo-Authorization": f"Bearer {key}",
                "X-Request-Id": "req-1",
                "ETag": '"v1"',
            },
        )

    def refused(request):
        seen.append(request.headers.get("Authorization"))
        return Response(f"invalid key {key}", status=401, content_type="text/plain")

    server.expect_request(MODELS_PATH).respond_with_handler(models)
    server.expect_request("/openrouter.ai/api/v1/models/meta-llama/llama-3.2-11b-vision-instruct/endpoints").respond_with_handler(refused)  # fmt: skip


def _everything_in_the_warehouse(db) -> str:
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = []
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_type = 'BASE TABLE'"
        ).fetchall()
        for schema, table in tables:
            out.append(repr(con.execute(f'select * from "{schema}"."{table}"').fetchall()))
        return "\n".join(out)
    finally:
        con.close()


def _everything_in_the_archive(archive: Archive) -> str:
    out = []
    for path in archive.root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            out.append(
                gzip.decompress(data).decode("utf-8", "replace")
                if path.suffix == ".gz"
                else data.decode()
            )
    return "\n".join(out)


def _everything_exported(exports) -> str:
    return "\n".join(p.read_text("utf-8", "replace") for p in exports.rglob("*") if p.is_file())


def test_api_key_is_sent_to_its_host_and_found_nowhere_after_a_live_refresh(
    tmp_path, key, loopback, caplog, capfd
):
    seen: list = []
    _serve(loopback, key, seen)
    layout = Layout(tmp_path / "live")
    caplog.set_level(logging.DEBUG)
    with dg.DagsterInstance.ephemeral() as instance:
        outcome = refresh(
            layout, instance, mode="live", sources=["openrouter", "openrouter_endpoints"]
        )
        events = [repr(e) for run in instance.get_runs() for e in instance.all_logs(run.run_id)]

    # the key came from the environment and went to openrouter.ai
    assert seen and all(h == f"Bearer {key}" for h in seen)
    # the source whose server answered 401 failed alone; the release was published
    assert set(outcome.failed_steps) == {"raw__openrouter_endpoints"}
    assert "HTTP 401" in outcome.failed_steps["raw__openrouter_endpoints"]
    whole_release(layout.exports)

    archive = Archive(layout.archive)
    (meta,) = list(archive.iter_responses())
    assert meta.headers["x-request-id"] == "req-1" and meta.headers["etag"] == '"v1"'
    assert "x-echo-authorization" not in meta.headers and "set-cookie" not in meta.headers

    printed = capfd.readouterr()
    places = {
        "archive": _everything_in_the_archive(archive),
        "warehouse": _everything_in_the_warehouse(layout.db),
        "exports": _everything_exported(layout.exports),
        "log records": "\n".join(r.getMessage() for r in caplog.records),
        "dagster events": "\n".join(events) + "\n".join(outcome.messages),
        "stdout/stderr": printed.out + printed.err,
    }
    assert "invalid key [redacted]" in places["log records"]  # the 401 body, logged redacted
    assert len(places["exports"]) > 10_000 and len(places["warehouse"]) > 10_000
    for place, text in places.items():
        assert key not in text, f"the API key is in the {place}"
        assert key[-12:] not in text, f"part of the API key is in the {place}"


def test_body_that_echoes_the_key_is_never_archived(tmp_path, key, loopback):
    def echo(request):
        return Response(json.dumps({"data": [], "you_sent": request.headers["Authorization"]}))

    loopback.expect_request(MODELS_PATH).respond_with_handler(echo)
    archive = Archive(tmp_path / "archive")
    spec = dataclasses.replace(source("openrouter"), urls=("https://openrouter.ai/api/v1/models",))
    with http_module.PoliteClient(http_module.HttpSettings()) as client:
        with pytest.raises(FetchError, match="repeats an API key we sent") as raised:
            fetch_source(spec, archive, client)
    assert key not in str(raised.value)
    assert not archive.root.exists() or not any(p.is_file() for p in archive.root.rglob("*"))


def test_key_goes_to_its_own_host_only(tmp_path, key, loopback):
    seen = []

    def record(request):
        seen.append(request.headers.get("Authorization"))
        return Response(b'{"data": [{"id": "a/b"}]}')

    loopback.expect_request("/example.org/models").respond_with_handler(record)
    with http_module.PoliteClient(http_module.HttpSettings()) as client:
        client.get("litellm", "https://example.org/models", ["example.org"])
    assert seen == [None]


def test_short_key_is_not_searched_for_in_responses(tmp_path, monkeypatch, loopback):
    monkeypatch.setenv(ENV, "abc")  # not a real key: searching for it would refuse everything
    loopback.expect_request(MODELS_PATH).respond_with_data(b'{"data": "abc abc"}')
    with http_module.PoliteClient(http_module.HttpSettings()) as client:
        response = client.get(
            "openrouter", "https://openrouter.ai/api/v1/models", ["openrouter.ai"]
        )
    assert response.body == b'{"data": "abc abc"}'
