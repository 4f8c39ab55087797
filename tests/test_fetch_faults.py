"""fetch_source into a real archive (tmp_path): what lands on disk when a fetch goes well or not.

Covers the conditional round trip (200, then 304 re-archived with the old body), a failing URL
leaving nothing of itself behind, robots.txt for HTML sources, secrets kept out of the archive
files, and the per-URL progress log. The server is pytest-httpserver on 127.0.0.1.
"""

from __future__ import annotations

import gzip
import logging

import pytest
from werkzeug.wrappers import Response

from modelcompare.archive import Archive
from modelcompare.fetch import FetchError, fetch_source
from modelcompare.http import HttpSettings, PoliteClient
from modelcompare.sources import SourceSpec


@pytest.fixture
def server(httpserver_ipv4):
    return httpserver_ipv4


@pytest.fixture
def archive(tmp_path) -> Archive:
    return Archive(tmp_path / "archive")


def make_client(**overrides) -> PoliteClient:
    """Fast settings: tiny backoff, no pause between requests, no proxies from the env."""
    base = dict(
        connect_timeout_s=1.0,
        read_timeout_s=1.0,
        retries=0,
        min_interval_s=0.0,
        api_key_env=(),
        trust_env=False,
    )
    return PoliteClient(HttpSettings(**{**base, **overrides}), sleep=lambda _s: None)


def spec_for(server, *paths: str, kind: str = "json") -> SourceSpec:
    return SourceSpec(
        name="testsrc",
        title="loopback test source",
        urls=tuple(server.url_for(p) for p in paths),
        parser="tests.unused:parse",
        kind=kind,
        allowed_hosts=("127.0.0.1",),
    )


def archive_files(archive: Archive) -> dict[str, bytes]:
    """Every file under the archive root, blobs decompressed, keyed by relative path."""
    files = {}
    for path in archive.root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            files[str(path.relative_to(archive.root))] = (
                gzip.decompress(data) if path.suffix == ".gz" else data
            )
    return files


def test_second_fetch_is_conditional_and_archives_the_304(server, archive):
    server.expect_ordered_request("/models").respond_with_data(
        b'{"data": []}', content_type="application/json", headers={"ETag": '"abc"'}
    )
    server.expect_ordered_request("/models", headers={"If-None-Match": '"abc"'}).respond_with_data(
        "", status=304, headers={"ETag": '"abc"'}
    )
    spec = spec_for(server, "/models")
    with make_client() as client:
        (first,) = fetch_source(spec, archive, client)
        (second,) = fetch_source(spec, archive, client)

    assert (first.status, second.status) == (200, 304)
    assert second.body == first.body and second.sha256 == first.sha256
    assert second.note == f"not modified since {first.response_id}"
    stored = archive.responses("testsrc", second.fetch_date)
    assert [r.status for r in stored] == [200, 304]
    assert archive.load(stored[1]).body == b'{"data": []}'
    assert archive.latest("testsrc", spec.urls[0]).response_id == second.response_id


def test_a_failing_url_stops_the_source_and_leaves_nothing_of_itself(server, archive):
    def truncated(_request):
        response = Response(b"partial")
        response.headers["Content-Length"] = "1000"
        return response

    server.expect_request("/ok").respond_with_data("fine")
    server.expect_request("/cut").respond_with_handler(truncated)
    server.expect_request("/never").respond_with_data("not asked")
    spec = spec_for(server, "/ok", "/cut", "/never")
    with make_client() as client, pytest.raises(FetchError) as info:
        fetch_source(spec, archive, client)

    assert info.value.url == spec.urls[1]
    assert "body truncated" in str(info.value)
    stored = [r for day in archive.fetch_dates() for r in archive.responses("testsrc", day)]
    assert [r.url for r in stored] == [spec.urls[0]]  # the earlier true record stays
    assert not any(b"partial" in data for data in archive_files(archive).values())
    assert [request.path for request, _ in server.log] == ["/ok", "/cut"]


def test_html_sources_obey_robots_and_archive_nothing_when_refused(server, archive):
    server.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /pricing\n")
    server.expect_request("/pricing").respond_with_data("<html>prices</html>")
    spec = spec_for(server, "/pricing", kind="html")
    with make_client() as client, pytest.raises(FetchError) as info:
        fetch_source(spec, archive, client)

    assert "robots.txt at" in info.value.reason and "disallows" in info.value.reason
    assert archive_files(archive) == {}
    assert [request.path for request, _ in server.log] == ["/robots.txt"]


def test_secret_headers_never_reach_the_archive(server, archive):
    server.expect_request("/page").respond_with_data(
        "body",
        headers={
            "Set-Cookie": "session=cookie-secret-1",
            "Authorization": "Bearer echoed-secret-2",
            "ETag": '"e1"',
        },
    )
    with make_client() as client:
        fetch_source(spec_for(server, "/page"), archive, client)

    (meta,) = [data for name, data in archive_files(archive).items() if name.endswith(".json")]
    assert b'"etag"' in meta  # ordinary headers are kept
    assert b"set-cookie" not in meta.lower() and b"cookie-secret-1" not in meta
    assert b"authorization" not in meta.lower() and b"echoed-secret-2" not in meta


def test_api_key_from_env_is_sent_but_not_archived_or_logged(server, archive, monkeypatch, caplog):
    secret = "sk-or-test-key-never-stored-42"
    monkeypatch.setenv("OPENROUTER_API_KEY", secret)
    server.expect_request(
        "/models", headers={"Authorization": f"Bearer {secret}"}
    ).respond_with_data('{"data": [1]}')
    caplog.set_level(logging.DEBUG)
    api_keys = (("127.0.0.1", "OPENROUTER_API_KEY"),)
    with make_client(api_key_env=api_keys) as client:
        (response,) = fetch_source(
            spec_for(server, "/models"), archive, client, log=logging.getLogger("t")
        )

    assert response.body == b'{"data": [1]}'  # only answered because the key was sent
    assert archive_files(archive)
    assert not any(secret.encode() in data for data in archive_files(archive).values())
    assert secret not in caplog.text


def test_progress_is_logged_per_url_with_lazy_arguments(server, archive, caplog):
    server.expect_request("/a").respond_with_data("aaaa")
    server.expect_request("/b").respond_with_data("bb")
    spec = spec_for(server, "/a", "/b")
    caplog.set_level(logging.INFO, logger="progress")
    with make_client() as client:
        fetch_source(spec, archive, client, log=logging.getLogger("progress"))

    records = [r for r in caplog.records if r.name == "progress"]
    assert [r.msg for r in records] == ["fetched %s (%d bytes)"] * 2
    assert [r.args for r in records] == [(spec.urls[0], 4), (spec.urls[1], 2)]
