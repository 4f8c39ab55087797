"""A live source that fails, kind by kind, through Dagster: its asset fails with a message that
names the source, the URL and the reason, its previous good rows stay in DuckDB, it is published
as failing, and the last release stays whole.

The OpenRouter asset runs in live mode against a loopback server standing in for openrouter.ai
(requests keep their real URL; ``tests.loopback.ToLoopback`` delivers them to 127.0.0.1). The
first run loads a recorded response; each fault then hits the same fetch date again.
"""

from __future__ import annotations

import json
import threading

import dagster as dg
import duckdb
import pytest
from werkzeug import Response

from modelcompare import http as http_module
from modelcompare.http import HttpSettings, PoliteClient
from tests.conftest import load_recorded
from tests.hostile.pipeline import PUBLISH, Layout, all_assets, refresh, whole_release
from tests.loopback import ToLoopback

MODELS_PATH = "/openrouter.ai/api/v1/models"
URL = "https://openrouter.ai/api/v1/models"
GOOD = load_recorded("openrouter", fetch_date="2026-05-15").body
RELEASE = threading.Event()


def timeout(_request):
    RELEASE.wait(3)
    return Response(GOOD)


def truncated(_request):
    response = Response(GOOD[:1000])
    response.headers["Content-Length"] = str(len(GOOD))
    return response


FAULTS = {
    # kind: (how the server answers, words the failure must say)
    "server error": (lambda s: s.respond_with_data("down", status=503), "HTTP 503"),
    "timeout": (lambda s: s.respond_with_handler(timeout), "timed out"),
    "truncated body": (lambda s: s.respond_with_handler(truncated), "body truncated"),
    "empty body": (lambda s: s.respond_with_data(b"", status=200), "empty body"),
    "redirect elsewhere": (
        lambda s: s.respond_with_data(
            "", status=302, headers={"Location": "https://evil.example/models"}
        ),
        "not allowed",
    ),
    "over the size cap": (lambda s: s.respond_with_data(GOOD * 3), "cap"),
    "changed layout": (lambda s: s.respond_with_json({"models": []}), "openrouter"),
    "too few records": (lambda s: s.respond_with_json({"data": []}), "openrouter"),
}


@pytest.fixture(scope="module")
def loopback(make_httpserver_ipv4):
    """Every client the pipeline makes talks to the loopback server (no retries, a short read
    timeout, a body cap of twice the good response)."""
    real_settings, real_client = HttpSettings, PoliteClient

    def settings(**given):
        return real_settings(
            **{
                **given,
                "retries": 0,
                "min_interval_s": 0.0,
                "trust_env": False,
                "read_timeout_s": 0.5,
                "max_body_bytes": 2 * len(GOOD),
            }  # fmt: skip
        )

    class LoopbackClient(real_client):
        def __init__(self, settings=None, **kwargs):
            super().__init__(settings, transport=ToLoopback(server.port), **kwargs)

    server = make_httpserver_ipv4  # the plugin's session-wide server on 127.0.0.1
    server.clear()  # other modules' handlers may still be registered on the same paths
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(http_module, "HttpSettings", settings)
        patch.setattr(http_module, "PoliteClient", LoopbackClient)
        yield server
    server.clear()


@pytest.fixture(scope="module")
def loaded(loopback, tmp_path_factory):
    """One good live refresh: the rows every fault must leave alone."""
    layout = Layout(tmp_path_factory.mktemp("faults"))
    with dg.instance_for_test() as instance:
        loopback.expect_request(MODELS_PATH).respond_with_data(
            GOOD, content_type="application/json"
        )
        first = refresh(layout, instance, mode="live", sources=["openrouter"])
        assert "raw__openrouter" in first.succeeded_steps, first.failed_steps
        release_id, _ = whole_release(layout.exports)
        yield layout, instance, openrouter_rows(layout), release_id


def openrouter_rows(layout: Layout) -> int:
    with duckdb.connect(str(layout.db), read_only=True) as con:
        return con.execute(
            "select count(*) from raw.observations where source = 'openrouter'"
        ).fetchone()[0]


def fail_with(loaded, loopback, kind: str) -> str:
    """Serve the fault and run the OpenRouter step again for the same date; its failure message."""
    layout, instance, _, _ = loaded
    loopback.clear()
    answer, _ = FAULTS[kind]
    answer(loopback.expect_request(MODELS_PATH))
    RELEASE.clear()
    try:
        (date,) = instance.get_dynamic_partitions("fetch_dates")
        result = dg.materialize(
            all_assets(),
            selection=[dg.AssetKey(["raw", "openrouter"])],
            partition_key=date,
            resources=layout.resources(mode="live"),
            instance=instance,
            raise_on_error=False,
        )
    finally:
        RELEASE.set()
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    return failure.event_specific_data.error.message


@pytest.mark.parametrize("kind", list(FAULTS))
def test_a_failing_source_fails_clearly_and_keeps_its_last_good_rows(loaded, loopback, kind):
    layout, _, good_rows, _ = loaded
    message = fail_with(loaded, loopback, kind)
    assert "openrouter" in message and FAULTS[kind][1] in message, message
    if kind not in ("changed layout", "too few records"):
        assert URL in message, message
    assert openrouter_rows(layout) == good_rows  # the last good data is untouched
    with duckdb.connect(str(layout.db), read_only=True) as con:
        status, error = con.execute(
            "select status, error from raw.source_loads where source = 'openrouter'"
            " order by loaded_at desc limit 1"
        ).fetchone()
    assert status == "failed" and FAULTS[kind][1] in error


def test_the_release_goes_ahead_showing_the_source_failing(loaded, loopback):
    layout, instance, good_rows, release_id = loaded
    fail_with(loaded, loopback, "server error")
    outcome = dg.materialize(
        all_assets(), selection=PUBLISH, resources=layout.resources(mode="live"),
        instance=instance, raise_on_error=False,
    )  # fmt: skip
    assert outcome.success
    new_id, _ = whole_release(layout.exports)
    current = layout.exports / "current" / "v1" / "catalog.json"
    sources = {s["source"]: s for s in json.loads(current.read_text())["sources"]}
    assert sources["openrouter"]["freshness"] == "failing"
    assert "HTTP 503" in sources["openrouter"]["last_error"]
    assert new_id != release_id  # the source's state changed, so the release says so
    assert openrouter_rows(layout) == good_rows
