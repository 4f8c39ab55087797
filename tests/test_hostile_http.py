"""Hostile bodies through the HTTP client, against a server on 127.0.0.1 that this test starts.

The client's own fault tests (``test_http.py``) cover the declared and the streamed size cap
one by one; here the hostile cases go through ``fetch_source`` into an archive, so each test also
shows what is left on disk: a body over the cap, however it is sent (declared, chunked, or a
gzip bomb that is small on the wire), leaves nothing archived, and memory stays within the cap
(the client inflates a step at a time, never more than the bytes still allowed). Then the archive's own guard: a blob that unpacks to more than its record
says is refused in replay.
"""

from __future__ import annotations

import dataclasses
import gzip
import tracemalloc

import pytest
from werkzeug.wrappers import Response

from modelcompare.archive import Archive, ArchivedResponse, ArchiveError
from modelcompare.fetch import fetch_source
from modelcompare.http import FetchError, HttpSettings, PoliteClient
from modelcompare.parsers.pricing_pages import parse_pricing_page
from modelcompare.sources import SourceSpec
from tests.hostile import inputs

MiB = 1 << 20


def settings(**overrides) -> HttpSettings:
    base = dict(
        connect_timeout_s=2.0,
        read_timeout_s=2.0,
        retries=0,
        min_interval_s=0.0,
        api_key_env=(),
        trust_env=False,  # loopback traffic never goes through a proxy from the environment
        max_body_bytes=MiB,
    )
    return HttpSettings(**{**base, **overrides})


@pytest.fixture
def server(httpserver_ipv4):
    return httpserver_ipv4


def spec(server, path: str = "/models", kind: str = "json") -> SourceSpec:
    return SourceSpec(
        name="hostile_src",
        title="hostile test source",
        urls=(server.url_for(path),),
        parser="modelcompare.parsers.openrouter:parse_models",
        kind=kind,
    )


def fetch(server, archive: Archive, path: str = "/models", kind: str = "json", **kw):
    with PoliteClient(settings(**kw)) as client:
        return fetch_source(spec(server, path, kind), archive, client)


def archived_files(archive: Archive) -> list:
    return [p for p in archive.root.rglob("*") if p.is_file()] if archive.root.exists() else []


def test_body_declared_over_the_cap_leaves_nothing_archived(server, tmp_path):
    server.expect_request("/models").respond_with_data(b"x" * (2 * MiB))
    archive = Archive(tmp_path / "archive")
    with pytest.raises(FetchError, match=r"body over the 1 MiB cap \(Content-Length 2097152\)"):
        fetch(server, archive)
    assert archived_files(archive) == []


def test_chunked_body_over_the_cap_is_cut_off_early(server, tmp_path):
    sent = []

    def endless(_request):
        def chunks():
            for _ in range(1000):  # 64 MiB if read to the end
                sent.append(1)
                yield b"x" * (64 * 1024)

        return Response(chunks(), content_type="application/json")

    server.expect_request("/models").respond_with_handler(endless)
    archive = Archive(tmp_path / "archive")
    with pytest.raises(FetchError, match="body over the 1 MiB cap"):
        fetch(server, archive)
    assert len(sent) < 200  # the server was stopped long before its 1000 chunks
    assert archived_files(archive) == []


def test_gzip_bomb_is_refused_at_the_cap_with_bounded_memory(server, tmp_path):
    bomb = inputs.gzip_bomb(256 * MiB)  # ~250 KB on the wire
    assert len(bomb) < MiB
    server.expect_request("/models").respond_with_data(
        bomb, headers={"Content-Encoding": "gzip"}, content_type="application/json"
    )
    archive = Archive(tmp_path / "archive")
    tracemalloc.start()
    try:
        with pytest.raises(FetchError, match="body over the 1 MiB cap"):
            fetch(server, archive)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 32 * MiB  # the 1 MiB cap plus the test harness; httpx alone took 150 MiB
    assert archived_files(archive) == []


def test_body_that_lies_about_its_charset_is_archived_as_sent_and_flagged_when_parsed(
    server, tmp_path
):
    page = (
        "<h2>Prices per 1M tokens</h2><table><tr><th>Model</th><th>Input</th><th>Output</th>"
        "</tr><tr><td>Magistral Small \u2014 caf\u00e9</td><td>$1</td><td>$2</td></tr></table>"
    ).encode()
    server.expect_request("/robots.txt").respond_with_data("", status=404)
    server.expect_request("/pricing").respond_with_data(
        page, headers={"Content-Type": "text/html; charset=iso-8859-1"}
    )
    archive = Archive(tmp_path / "archive")
    (fetched,) = fetch(server, archive, "/pricing", kind="html")
    (meta,) = list(archive.iter_responses())
    stored = archive.load(meta)
    assert stored.body == page  # the archive keeps the bytes, not a decoding of them
    assert stored.content_type == "text/html; charset=iso-8859-1"
    as_groq = dataclasses.replace(stored, url="https://groq.com/pricing", source="page_groq")
    result = parse_pricing_page(as_groq)
    assert [o.raw_id for o in result.observations][:1] == ["Magistral Small \u2014 caf\u00e9"]
    assert [i.reason for i in result.issues] == [
        "declared charset 'iso-8859-1' but the bytes are UTF-8; read as UTF-8"
    ]


def test_gzip_bomb_in_an_error_body_is_logged_from_a_bounded_snippet(server, tmp_path):
    server.expect_request("/models").respond_with_data(
        inputs.gzip_bomb(256 * MiB), status=404, headers={"Content-Encoding": "gzip"}
    )
    tracemalloc.start()
    try:
        with pytest.raises(FetchError, match="HTTP 404"):
            fetch(server, Archive(tmp_path / "archive"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 32 * MiB


def test_truncated_gzip_body_is_not_archived(server, tmp_path):
    whole = gzip.compress(b'{"data": []}' * 1000, mtime=0)
    server.expect_request("/models").respond_with_data(
        whole[: len(whole) // 2], headers={"Content-Encoding": "gzip"}
    )
    archive = Archive(tmp_path / "archive")
    with pytest.raises(FetchError, match="the gzip stream ends before its end marker"):
        fetch(server, archive)
    assert archived_files(archive) == []


def test_huge_robots_txt_is_read_only_up_to_512_kib(server, tmp_path):
    rules = b"User-agent: *\n" + b"Disallow: /nothing-here\n" * 40_000  # ~960 KB
    server.expect_request("/robots.txt").respond_with_data(rules + b"Disallow: /\n")
    server.expect_request("/pricing").respond_with_data(b"<table></table>")
    archive = Archive(tmp_path / "archive")
    # the "Disallow: /" past 512 KiB is never read, so the page is allowed
    (fetched,) = fetch(server, archive, "/pricing", kind="html", max_body_bytes=4 * MiB)
    assert fetched.body == b"<table></table>"


# --- the archive, in replay -------------------------------------------------------------------
def test_blob_that_unpacks_past_its_recorded_size_is_refused(tmp_path):
    archive = Archive(tmp_path / "archive")
    stored = archive.put(ArchivedResponse.from_bytes("src", "https://x/a", b"small body"))
    blob = archive._blob_path(stored.sha256)
    blob.write_bytes(inputs.gzip_bomb(64 * MiB))  # planted: 64 MiB of zeros
    tracemalloc.start()
    try:
        with pytest.raises(ArchiveError, match="does not unpack to the 10 bytes its record"):
            archive.load(stored)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * MiB


def test_blob_that_is_not_gzip_is_refused(tmp_path):
    archive = Archive(tmp_path / "archive")
    stored = archive.put(ArchivedResponse.from_bytes("src", "https://x/a", b"body"))
    archive._blob_path(stored.sha256).write_bytes(b"not gzip at all")
    with pytest.raises(ArchiveError, match="blob is not gzip data"):
        archive.load(stored)


def test_blob_with_other_bytes_of_the_same_size_fails_the_hash(tmp_path):
    archive = Archive(tmp_path / "archive")
    stored = archive.put(ArchivedResponse.from_bytes("src", "https://x/a", b"body"))
    archive._blob_path(stored.sha256).write_bytes(gzip.compress(b"evil", mtime=0))
    with pytest.raises(ArchiveError, match="does not match its hash"):
        archive.load(stored)
