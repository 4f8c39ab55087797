"""PoliteClient against a loopback server: one test per fault a live fetch can meet.

Each test sets up the fault on a pytest-httpserver bound to 127.0.0.1 (or an httpx.MockTransport
where counting what the client pulled matters) and checks the exact outcome: what was returned,
how many requests the server saw, and what the ``FetchError`` message says. Waits the client asks
for are recorded instead of slept, so backoff and Retry-After are checked without slow tests.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import httpx
import pytest
from werkzeug.wrappers import Response

from modelcompare.archive import ArchivedResponse
from modelcompare.http import (
    FetchError,
    HttpSettings,
    PoliteClient,
    default_user_agent,
    retry_after_seconds,
)

SOURCE = "testsrc"
ALLOWED = ("127.0.0.1",)


def fast_settings(**overrides) -> HttpSettings:
    """Short timeouts, tiny backoff, no pause between requests, and no proxies from the env."""
    base = dict(
        connect_timeout_s=1.0,
        read_timeout_s=1.0,
        retries=2,
        backoff_initial_s=0.01,
        backoff_max_s=0.05,
        backoff_jitter_s=0.01,
        min_interval_s=0.0,
        api_key_env=(),
        trust_env=False,
    )
    return HttpSettings(**{**base, **overrides})


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_client(sleeps):
    """Build clients that record the waits they ask for; all closed after the test."""
    clients = []

    def make(**overrides) -> PoliteClient:
        transport = overrides.pop("transport", None)
        client = PoliteClient(fast_settings(**overrides), transport=transport, sleep=sleeps.append)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def server(httpserver_ipv4):
    return httpserver_ipv4


def fetch_error(client: PoliteClient, url: str, **kwargs) -> FetchError:
    with pytest.raises(FetchError) as info:
        client.get(SOURCE, url, kwargs.pop("allowed", ALLOWED), **kwargs)
    return info.value


# --- success, and what we send ------------------------------------------------------------------
def test_plain_200_is_returned_whole_with_our_user_agent(server, make_client):
    server.expect_request("/data.json").respond_with_data(
        b'{"a": 1}', content_type="application/json"
    )
    before = dt.datetime.now(dt.UTC)
    response = make_client().get(SOURCE, server.url_for("/data.json"), ALLOWED)

    assert response.status == 200
    assert response.body == b'{"a": 1}'
    assert response.content_type == "application/json"
    assert before <= response.fetched_at <= dt.datetime.now(dt.UTC)
    request, _ = server.log[0]
    assert request.headers["User-Agent"] == default_user_agent()
    assert default_user_agent().endswith("(+open-source LLM price catalog)")


def test_first_url_on_a_host_outside_the_allow_list_is_refused(server, make_client):
    error = fetch_error(make_client(), server.url_for("/x"), allowed=("example.org",))

    assert "host 127.0.0.1:" in error.reason
    assert "is not allowed (allowed: example.org)" in error.reason
    assert server.log == []


# --- faults that are retried ---------------------------------------------------------------------
def test_read_timeout_is_retried_then_reported(server, make_client):
    release = threading.Event()

    def slow(_request):
        release.wait(2)
        return Response(b"late")

    server.expect_request("/slow").respond_with_handler(slow)
    url = server.url_for("/slow")
    started = time.monotonic()
    error = fetch_error(make_client(read_timeout_s=0.1, retries=1), url)
    elapsed = time.monotonic() - started
    release.set()
    _wait_for_requests(server, 2)  # let the abandoned requests drain before the next test

    assert str(error) == (
        f"{SOURCE}: GET {url} failed: gave up after 2 tries; last: read timed out "
        "(no data for 0.1 s)"
    )
    assert elapsed < 1


def _wait_for_requests(server, n: int, limit_s: float = 2.0) -> None:
    deadline = time.monotonic() + limit_s
    while len(server.log) < n and time.monotonic() < deadline:
        time.sleep(0.01)


def test_503_then_200_waits_what_retry_after_asks(server, make_client, sleeps):
    server.expect_ordered_request("/busy").respond_with_data(
        "busy", status=503, headers={"Retry-After": "2"}
    )
    server.expect_ordered_request("/busy").respond_with_data("ok")
    response = make_client().get(SOURCE, server.url_for("/busy"), ALLOWED)

    assert response.body == b"ok"
    assert len(server.log) == 2
    assert sleeps == [2.0]  # the server's ask, not our backoff


def test_retry_after_longer_than_the_cap_ends_the_fetch_at_once(server, make_client, sleeps):
    server.expect_request("/later").respond_with_data(
        "", status=429, headers={"Retry-After": "3600"}
    )
    error = fetch_error(make_client(max_retry_after_s=60), server.url_for("/later"))

    assert error.reason == (
        "HTTP 429 TOO MANY REQUESTS asks us to retry after 3600 s, more than the 60 s we wait"
    )
    assert len(server.log) == 1
    assert sleeps == []


def test_retry_after_as_an_http_date():
    now = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)

    assert retry_after_seconds("Fri, 02 Jan 2026 03:04:35 GMT", now) == 30.0
    assert retry_after_seconds("Fri, 02 Jan 2026 03:00:00 GMT", now) == 0.0  # already past
    assert retry_after_seconds("7", now) == 7.0
    assert retry_after_seconds("soon", now) is None


def test_500_forever_gives_up_after_all_tries(server, make_client, sleeps):
    server.expect_request("/broken").respond_with_data("oops", status=500)
    url = server.url_for("/broken")
    error = fetch_error(make_client(retries=2), url)

    assert str(error) == (
        f"{SOURCE}: GET {url} failed: gave up after 3 tries; last: HTTP 500 INTERNAL SERVER ERROR"
    )
    assert len(server.log) == 3
    assert len(sleeps) == 2 and all(0 < s <= 0.05 for s in sleeps)  # backoff, capped


def test_connection_dropped_mid_body_is_a_truncated_body(server, make_client):
    def drops(_request):
        response = Response(b"x" * 10)
        response.headers["Content-Length"] = "100"  # promise more than is sent, then hang up
        return response

    server.expect_request("/cut").respond_with_handler(drops)
    error = fetch_error(make_client(retries=0), server.url_for("/cut"))

    assert error.reason.startswith("gave up after 1 tries; last: body truncated: connection")
    assert "received 10 bytes, expected 100" in error.reason


def test_body_shorter_than_content_length_is_refused(make_client):
    def short(_request):
        stream = httpx.ByteStream(b"x" * 10)
        return httpx.Response(200, headers={"Content-Length": "100"}, stream=stream)

    client = make_client(retries=0, transport=httpx.MockTransport(short))
    error = fetch_error(client, "http://127.0.0.1/short")

    assert error.reason == "gave up after 1 tries; last: body truncated: got 10 of 100 bytes"


# --- faults that are final at once ---------------------------------------------------------------
def test_404_is_not_retried(server, make_client, sleeps):
    server.expect_request("/gone").respond_with_data("no such file", status=404)
    url = server.url_for("/gone")
    error = fetch_error(make_client(), url)

    assert str(error) == f"{SOURCE}: GET {url} failed: HTTP 404 NOT FOUND"
    assert len(server.log) == 1
    assert sleeps == []


def test_empty_body_on_200_is_refused(server, make_client):
    server.expect_request("/empty").respond_with_data(b"")
    error = fetch_error(make_client(), server.url_for("/empty"))

    assert error.reason == "empty body on HTTP 200"


def test_body_over_the_declared_cap_is_refused_before_reading(server, make_client):
    server.expect_request("/big").respond_with_data(b"x" * 5000)
    error = fetch_error(make_client(max_body_bytes=1000), server.url_for("/big"))

    assert error.reason == "body over the 1000 bytes cap (Content-Length 5000)"


def test_body_over_the_cap_stops_reading_without_content_length(make_client):
    pulled = []

    class Endless(httpx.SyncByteStream):
        def __iter__(self):
            for _ in range(10_000):
                pulled.append(1)
                yield b"x" * 100

    def handler(_request):
        return httpx.Response(200, stream=Endless())

    client = make_client(max_body_bytes=1000, transport=httpx.MockTransport(handler))
    error = fetch_error(client, "http://127.0.0.1/endless")

    assert error.reason == "body over the 1000 bytes cap"
    assert len(pulled) == 11  # the chunk that crossed the cap, and not one more


# --- redirects -----------------------------------------------------------------------------------
def test_redirect_to_another_host_is_refused_naming_both(server, make_client):
    port = server.port
    server.expect_request("/start").respond_with_data(
        "", status=302, headers={"Location": f"http://localhost:{port}/elsewhere"}
    )
    error = fetch_error(make_client(), server.url_for("/start"))

    assert error.reason == (
        f"redirect from host 127.0.0.1:{port} to host localhost:{port} is not allowed "
        "(allowed: 127.0.0.1)"
    )
    assert len(server.log) == 1  # the other host was never asked


def test_redirect_within_the_allowed_host_is_followed(server, make_client):
    server.expect_request("/old").respond_with_data("", status=301, headers={"Location": "/new"})
    server.expect_request("/new").respond_with_data("moved here")
    url = server.url_for("/old")
    response = make_client().get(SOURCE, url, ALLOWED)

    assert response.body == b"moved here"
    assert response.url == url  # archived under the URL the source lists
    assert response.note == f"redirected to {server.url_for('/new')}"


def test_redirect_loop_stops_after_five_hops(server, make_client):
    server.expect_request("/loop").respond_with_data("", status=302, headers={"Location": "/loop"})
    error = fetch_error(make_client(), server.url_for("/loop"))

    assert error.reason.startswith("more than 5 redirects")
    assert len(server.log) == 6


# --- conditional requests ------------------------------------------------------------------------
def test_304_returns_the_previous_body_restamped(server, make_client):
    url = server.url_for("/cond")
    earlier = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    previous = ArchivedResponse.from_bytes(
        SOURCE,
        url,
        b"old body",
        earlier,
        content_type="text/plain",
        headers={"ETag": '"v1"', "Last-Modified": "Thu, 01 Jan 2026 00:00:00 GMT"},
    )
    server.expect_request(
        "/cond",
        headers={"If-None-Match": '"v1"', "If-Modified-Since": "Thu, 01 Jan 2026 00:00:00 GMT"},
    ).respond_with_data("", status=304, headers={"ETag": '"v1"'})
    response = make_client().get(SOURCE, url, ALLOWED, conditional_from=previous)

    assert response.status == 304
    assert response.body == b"old body" and response.sha256 == previous.sha256
    assert response.fetched_at > earlier
    assert response.note == f"not modified since {previous.response_id}"
    assert response.headers["etag"] == '"v1"'
    assert response.response_id != previous.response_id


def test_304_to_an_unconditional_request_is_refused(server, make_client):
    server.expect_request("/odd").respond_with_data("", status=304)
    error = fetch_error(make_client(), server.url_for("/odd"))

    assert error.reason == "HTTP 304 Not Modified to a request that was not conditional"


# --- robots.txt ----------------------------------------------------------------------------------
def test_robots_disallow_refuses_the_page_and_is_read_once(server, make_client):
    server.expect_request("/robots.txt").respond_with_data(
        "User-agent: *\nDisallow: /private\n", content_type="text/plain"
    )
    server.expect_request("/public").respond_with_data("<html>ok</html>")
    client = make_client()
    page = server.url_for("/private/page")
    error = fetch_error(client, page, check_robots=True)
    client.get(SOURCE, server.url_for("/public"), ALLOWED, check_robots=True)

    assert error.reason == (
        f"robots.txt at {server.url_for('/robots.txt')} disallows {page} for modelcompare"
    )
    paths = [request.path for request, _ in server.log]
    assert paths == ["/robots.txt", "/public"]


def test_robots_404_allows_everything(server, make_client):
    server.expect_request("/robots.txt").respond_with_data("", status=404)
    server.expect_request("/page").respond_with_data("<html>ok</html>")
    response = make_client().get(SOURCE, server.url_for("/page"), ALLOWED, check_robots=True)

    assert response.body == b"<html>ok</html>"


def test_robots_5xx_means_disallowed(server, make_client):
    server.expect_request("/robots.txt").respond_with_data("", status=503)
    error = fetch_error(make_client(retries=0), server.url_for("/page"), check_robots=True)

    assert error.reason == (
        f"robots.txt at {server.url_for('/robots.txt')} could not be read (gave up after 1 "
        "tries; last: HTTP 503 SERVICE UNAVAILABLE); treating the host as disallowed"
    )
    assert [request.path for request, _ in server.log] == ["/robots.txt"]


def test_robots_not_asked_for_apis(server, make_client):
    server.expect_request("/api").respond_with_data("{}")
    make_client().get(SOURCE, server.url_for("/api"), ALLOWED, check_robots=False)

    assert [request.path for request, _ in server.log] == ["/api"]


# --- politeness and secrets ----------------------------------------------------------------------
def test_requests_to_one_host_are_spaced_by_the_minimum_interval(server):
    arrivals = []

    def stamp(_request):
        arrivals.append(time.monotonic())
        return Response(b"ok")

    server.expect_request("/tick").respond_with_handler(stamp)
    with PoliteClient(fast_settings(min_interval_s=0.3)) as client:
        client.get(SOURCE, server.url_for("/tick"), ALLOWED)
        client.get(SOURCE, server.url_for("/tick"), ALLOWED)

    assert arrivals[1] - arrivals[0] >= 0.3


def test_api_key_is_sent_but_never_kept_or_logged(server, make_client, monkeypatch, caplog):
    secret = "sk-test-not-a-real-key-123"
    monkeypatch.setenv("OPENROUTER_API_KEY", secret)
    server.expect_request(
        "/models", headers={"Authorization": f"Bearer {secret}"}
    ).respond_with_data("{}", headers={"Set-Cookie": "session=abc123", "X-Request-Id": "r1"})
    client = make_client(api_key_env=(("127.0.0.1", "OPENROUTER_API_KEY"),))
    caplog.set_level("DEBUG")
    response = client.get(SOURCE, server.url_for("/models"), ALLOWED)

    assert response.body == b"{}"  # the server only answers when the bearer token arrived
    assert "set-cookie" not in response.headers
    assert response.headers["x-request-id"] == "r1"
    assert secret not in repr(response.meta())
    assert secret not in caplog.text


def test_cookies_a_server_sets_are_not_sent_back(server, make_client):
    server.expect_request("/first").respond_with_data(
        "a", headers={"Set-Cookie": "track=1; Path=/"}
    )
    server.expect_request("/second").respond_with_data("b")
    client = make_client()
    client.get(SOURCE, server.url_for("/first"), ALLOWED)
    client.get(SOURCE, server.url_for("/second"), ALLOWED)

    second_request, _ = server.log[1]
    assert "Cookie" not in second_request.headers
