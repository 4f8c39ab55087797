"""Polite HTTP for live fetches: the one way the pipeline talks to the network.

Everything a live run downloads becomes an ``ArchivedResponse`` here, so the rules that keep the
archive honest and the publishers' servers unbothered live in one place:

- one ``httpx.Client`` with (connect, read) timeouts and a user agent that says who we are;
- retries with exponential backoff and jitter (tenacity), only on 429, 5xx and network errors,
  waiting what ``Retry-After`` asks (up to a cap: a server that wants more is left alone);
- one request at a time per host, and a pause between requests to the same host;
- redirects followed by hand so every hop is checked against the source's host allow-list;
- bodies streamed under a size cap, and short or empty bodies refused, so a half download is
  never archived as if it were the source's word;
- conditional requests from the last archived response: a 304 re-verifies the old body now;
- robots.txt honoured for HTML pages (APIs and raw files are published to be fetched).

Every failure is a ``FetchError`` naming the source, the URL and the reason in plain words.
Secrets (API keys) come from the environment, travel only in request headers and never reach a
log line or the archive.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import importlib.metadata
import logging
import os
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from urllib.robotparser import RobotFileParser

import httpx
import tenacity

from modelcompare.archive import ArchivedResponse

log = logging.getLogger(__name__)

KiB = 1024
MiB = 1024 * KiB

# Host -> environment variable holding a key sent as a bearer token to that host only.
DEFAULT_API_KEY_ENV: tuple[tuple[str, str], ...] = (("openrouter.ai", "OPENROUTER_API_KEY"),)

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_SNIPPET_BYTES = 512  # how much of an error body we read, only to log it
# RFC 9309 asks crawlers to read at least 500 KiB of a robots.txt; we read no more than that.
ROBOTS_MAX_BYTES = 512 * KiB
# A configured key shorter than this is not a real key; searching responses for it would match
# ordinary text, so only longer values are looked for in what a server sends back.
_MIN_SECRET_LEN = 8


def _package_version() -> str:
    """The installed version, or "dev" when run from a checkout that was never installed."""
    try:
        return importlib.metadata.version("modelcompare")
    except importlib.metadata.PackageNotFoundError:
        return "dev"


def default_user_agent() -> str:
    """Say who we are, so a publisher who minds can find us instead of blocking blindly."""
    return f"modelcompare/{_package_version()} (+open-source LLM price catalog)"


class FetchError(RuntimeError):
    """A GET that produced nothing worth archiving; the message names source, URL and reason."""

    def __init__(self, source: str, url: str, reason: str):
        super().__init__(f"{source}: GET {url} failed: {reason}")
        self.source = source
        self.url = url
        self.reason = reason


@dataclass(frozen=True)
class HttpSettings:
    """How politely and how patiently a live run fetches. Defaults suit a daily batch run."""

    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0  # longest silence while reading, not the whole download
    max_body_bytes: int = 64 * MiB  # models.dev's tarball is a few MiB; 64 leaves headroom
    retries: int = 3  # extra tries after the first, so 4 requests at most per hop
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 30.0
    backoff_jitter_s: float = 1.0
    max_retry_after_s: float = 120.0  # a server asking for a longer pause gets it: we give up
    max_per_host: int = 1
    min_interval_s: float = 1.0  # from the end of one request to the start of the next
    max_redirects: int = 5
    respect_robots: bool = True
    user_agent: str = field(default_factory=default_user_agent)
    api_key_env: tuple[tuple[str, str], ...] = DEFAULT_API_KEY_ENV
    # httpx reads proxies, CA bundles and ~/.netrc from the environment when True; tests turn it
    # off so loopback traffic can never be sent through a proxy.
    trust_env: bool = True

    @property
    def attempts(self) -> int:
        return self.retries + 1


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or HTTP date); None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


def format_size(n: int) -> str:
    if n >= MiB and n % MiB == 0:
        return f"{n // MiB} MiB"
    if n >= KiB and n % KiB == 0:
        return f"{n // KiB} KiB"
    return f"{n} bytes"


class _Failure(Exception):
    """A hop failed for good; becomes a ``FetchError`` once the source and URL are attached.

    ``at`` is the hop that failed, named in the message when it is not the URL asked for.
    """

    def __init__(self, reason: str, at: httpx.URL | None = None):
        super().__init__(reason)
        self.reason = reason
        self.at = at

    def describe(self, requested: str) -> str:
        if self.at is None or str(self.at) == requested:
            return self.reason
        return f"{self.reason} (at {self.at})"


class _Transient(_Failure):
    """A failure worth another try (429, 5xx, network); ``retry_after`` is the server's ask."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


@dataclass(frozen=True)
class _Wire:
    """One completed hop. ``body`` is whole only for a 200; otherwise a snippet for the log."""

    url: httpx.URL
    status: int
    phrase: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    fetched_at: dt.datetime


@dataclass(frozen=True)
class _Robots:
    """What a host's robots.txt decided: a parsed file, or a refusal to fetch from it at all."""

    url: str
    parser: RobotFileParser | None = None
    refusal: str | None = None


class _HostGate:
    """One host's share of us: at most ``slots`` requests at once, a pause between them."""

    def __init__(
        self,
        slots: int,
        interval: float,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
    ):
        self._slots = threading.BoundedSemaphore(slots)
        self._lock = threading.Lock()
        self._interval = interval
        self._clock = clock
        self._sleep = sleep
        self._free_at = float("-inf")

    @contextmanager
    def hold(self) -> Iterator[None]:
        with self._slots:
            with self._lock:
                start = max(self._clock(), self._free_at)
                self._free_at = start + self._interval  # queue any concurrent caller behind us
            wait = start - self._clock()
            if wait > 0:
                self._sleep(wait)
            try:
                yield
            finally:
                with self._lock:
                    self._free_at = max(self._free_at, self._clock() + self._interval)


def _quiet_transport_logs() -> None:
    """Keep httpcore's DEBUG trace out of the logs, whatever the root level.

    That trace prints every response header as received: a Set-Cookie, or an API key a server
    echoes back, would reach any log handler that runs at DEBUG. Our own log lines say what a
    person needs; the trace is never wanted there.
    """
    logger = logging.getLogger("httpcore")
    if logger.getEffectiveLevel() < logging.INFO:
        logger.setLevel(logging.INFO)


def _no_cookies() -> CookieJar:
    """A jar that keeps nothing: one source's cookies must not ride along to the next request."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


def _host_label(url: httpx.URL) -> str:
    return f"{url.host}:{url.port}" if url.port else url.host


def _host_allowed(url: httpx.URL, allowed_hosts: tuple[str, ...] | list[str]) -> bool:
    """Allow-list entries are host names; an entry may pin a port ("127.0.0.1:8080")."""
    return url.host in allowed_hosts or (url.port is not None and _host_label(url) in allowed_hosts)


class PoliteClient:
    """The live HTTP client. One per run; close it (or use ``with``) to release connections."""

    def __init__(
        self,
        settings: HttpSettings | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.settings = settings or HttpSettings()
        _quiet_transport_logs()
        self._sleep = sleep
        self._clock = clock
        self._client = httpx.Client(
            timeout=httpx.Timeout(
                self.settings.read_timeout_s, connect=self.settings.connect_timeout_s
            ),
            # Only the encodings _Inflater decodes under the cap, even if brotli or zstandard
            # get installed (httpx would then ask for those too and inflate them unbounded).
            headers={"User-Agent": self.settings.user_agent, "Accept-Encoding": "gzip, deflate"},
            cookies=_no_cookies(),
            follow_redirects=False,  # each hop is checked against the allow-list by hand
            transport=transport,
            trust_env=self.settings.trust_env,
        )
        self._gates: dict[str, _HostGate] = {}
        self._gates_lock = threading.Lock()
        self._robots: dict[str, _Robots] = {}
        self._robots_lock = threading.Lock()

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # --- the one public call ------------------------------------------------------------------
    def get(
        self,
        source_name: str,
        url: str,
        allowed_hosts: tuple[str, ...] | list[str],
        *,
        conditional_from: ArchivedResponse | None = None,
        check_robots: bool = False,
    ) -> ArchivedResponse:
        """Fetch ``url`` whole, or raise ``FetchError``; the result is ready for ``Archive.put``.

        ``conditional_from`` is the last archived response for this URL, with its body: its ETag
        and Last-Modified make the request conditional, and a 304 returns its body re-stamped.
        """
        previous = conditional_from if conditional_from and conditional_from.body else None
        try:
            target = httpx.URL(url)
            self._check_first_host(target, allowed_hosts)
            wire = self._follow(
                source_name, target, allowed_hosts, _validators(previous), check_robots
            )
            return _to_archived(source_name, url, wire, previous, self._secrets())
        except _Failure as exc:
            raise FetchError(source_name, url, exc.describe(url)) from exc
        except httpx.InvalidURL as exc:
            raise FetchError(source_name, url, f"not a valid URL ({exc})") from exc

    # --- hops -----------------------------------------------------------------------------------
    @staticmethod
    def _check_first_host(target: httpx.URL, allowed_hosts) -> None:
        if target.scheme not in ("http", "https"):
            raise _Failure(f"unsupported scheme {target.scheme!r}")
        if not _host_allowed(target, allowed_hosts):
            allowed = ", ".join(allowed_hosts) or "none"
            raise _Failure(f"host {_host_label(target)} is not allowed (allowed: {allowed})")

    def _follow(
        self,
        source: str,
        target: httpx.URL,
        allowed_hosts,
        extra_headers: dict[str, str],
        check_robots: bool,
    ) -> _Wire:
        """GET ``target``, following at most ``max_redirects`` redirects inside the allow-list."""
        for _hop in range(self.settings.max_redirects + 1):
            if check_robots and self.settings.respect_robots:
                self._check_robots(source, target, allowed_hosts)
            headers = {**extra_headers, **self._auth_headers(target)}
            try:
                wire = self._fetch_with_retries(source, target, headers)
            except _Failure as exc:
                exc.at = exc.at or target
                raise
            if wire.status not in _REDIRECT_STATUSES:
                return wire
            target = _next_hop(wire, allowed_hosts)
        raise _Failure(f"more than {self.settings.max_redirects} redirects (last to {target})")

    def _secrets(self) -> tuple[str, ...]:
        """The API keys configured for any host, to keep out of what we log and archive."""
        values = (os.environ.get(env_var) for _, env_var in self.settings.api_key_env)
        return tuple(v for v in values if v and len(v) >= _MIN_SECRET_LEN)

    def _auth_headers(self, target: httpx.URL) -> dict[str, str]:
        """A bearer token for hosts that take one, read from the environment at request time."""
        for host, env_var in self.settings.api_key_env:
            key = os.environ.get(env_var)
            if key and target.host == host:
                return {"Authorization": f"Bearer {key}"}
        return {}

    # --- one hop, with retries ------------------------------------------------------------------
    def _fetch_with_retries(self, source: str, target: httpx.URL, headers) -> _Wire:
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.settings.attempts),
            wait=self._wait,
            retry=tenacity.retry_if_exception_type(_Transient),
            sleep=self._sleep,
            before_sleep=lambda state: self._log_retry(source, target, state),
            reraise=True,
        )
        try:
            return retrying(self._attempt, target, headers)
        except _Transient as exc:
            tries = self.settings.attempts
            raise _Failure(f"gave up after {tries} tries; last: {exc.reason}") from exc

    def _wait(self, state: tenacity.RetryCallState) -> float:
        """The server's Retry-After when it gave one, else exponential backoff with jitter."""
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Transient) and exc.retry_after is not None:
            return exc.retry_after
        backoff = tenacity.wait_exponential_jitter(
            multiplier=self.settings.backoff_initial_s,
            max=self.settings.backoff_max_s,
            jitter=self.settings.backoff_jitter_s,
        )
        return backoff(state)

    def _log_retry(self, source: str, target: httpx.URL, state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.warning(
            "%s: GET %s: %s; try %d of %d failed, waiting %.1f s",
            source,
            target,
            getattr(exc, "reason", exc),
            state.attempt_number,
            self.settings.attempts,
            state.upcoming_sleep,
        )

    def _attempt(self, target: httpx.URL, headers: dict[str, str]) -> _Wire:
        with self._gate(target.host).hold():
            try:
                with self._client.stream("GET", target, headers=headers) as response:
                    return self._read(response)
            except httpx.TimeoutException as exc:
                raise _Transient(self._timeout_reason(exc)) from exc
            except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                raise _Transient(f"network error ({type(exc).__name__}: {exc})") from exc
            except httpx.HTTPError as exc:
                raise _Failure(f"request failed ({type(exc).__name__}: {exc})") from exc

    def _gate(self, host: str) -> _HostGate:
        with self._gates_lock:
            if host not in self._gates:
                self._gates[host] = _HostGate(
                    self.settings.max_per_host,
                    self.settings.min_interval_s,
                    self._clock,
                    self._sleep,
                )
            return self._gates[host]

    def _timeout_reason(self, exc: httpx.TimeoutException) -> str:
        if isinstance(exc, httpx.ConnectTimeout):
            return f"connect timed out after {self.settings.connect_timeout_s:g} s"
        if isinstance(exc, httpx.ReadTimeout):
            return f"read timed out (no data for {self.settings.read_timeout_s:g} s)"
        return f"timed out ({type(exc).__name__})"

    # --- reading a response ---------------------------------------------------------------------
    def _read(self, response: httpx.Response) -> _Wire:
        """Classify a response: transient (raise to retry), a 200 (read whole), or anything else."""
        status = response.status_code
        if status == 429 or 500 <= status <= 599:
            raise _Transient(f"HTTP {status} {response.reason_phrase}", self._retry_after(response))
        if status == 200:
            body = self._read_body(response)
        elif status in _REDIRECT_STATUSES or status == 304:
            body = b""
        else:
            body = _read_snippet(response)
        return _Wire(
            url=response.url,
            status=status,
            phrase=response.reason_phrase,
            headers={k.lower(): v for k, v in response.headers.items()},
            body=body,
            fetched_at=dt.datetime.now(dt.UTC),  # the response is complete only now
        )

    def _retry_after(self, response: httpx.Response) -> float | None:
        """The pause the server asked for; one longer than our cap ends the fetch politely."""
        wait = retry_after_seconds(response.headers.get("retry-after"))
        if wait is not None and wait > self.settings.max_retry_after_s:
            raise _Failure(
                f"HTTP {response.status_code} {response.reason_phrase} asks us to retry after "
                f"{wait:.0f} s, more than the {self.settings.max_retry_after_s:g} s we wait"
            )
        return wait

    def _read_body(self, response: httpx.Response) -> bytes:
        """Stream the body under the cap; a body shorter than announced is a failed download.

        The body is decoded here (``_Inflater``), not by httpx: httpx inflates each network read
        whole, so a gzip bomb of 250 KB took 150 MB before our cap could see it. Here no step
        produces more than the bytes still allowed, so memory stays within the cap.
        """
        cap = self.settings.max_body_bytes
        declared = _content_length(response)
        if declared is not None and declared > cap:
            raise _Failure(f"body over the {format_size(cap)} cap (Content-Length {declared})")
        inflater = _Inflater(response.headers.get("content-encoding", ""))
        chunks: list[bytes] = []
        total = 0
        try:
            for raw in response.iter_raw():
                chunk = inflater.feed(raw, cap - total + 1)
                total += len(chunk)
                if total > cap:  # stop reading here; the rest is never buffered
                    raise _Failure(f"body over the {format_size(cap)} cap")
                chunks.append(chunk)
        except httpx.TimeoutException as exc:
            raise _Transient(f"body truncated: {self._timeout_reason(exc)}") from exc
        except httpx.TransportError as exc:
            got = response.num_bytes_downloaded
            raise _Transient(
                f"body truncated: connection dropped after {got} bytes ({exc})"
            ) from exc
        got = response.num_bytes_downloaded
        if declared is not None and got < declared:
            raise _Transient(f"body truncated: got {got} of {declared} bytes")
        inflater.finish()
        return b"".join(chunks)

    # --- robots.txt -----------------------------------------------------------------------------
    def _check_robots(self, source: str, target: httpx.URL, allowed_hosts) -> None:
        robots = self._robots_for(source, target, allowed_hosts)
        if robots.refusal:
            raise _Failure(robots.refusal)
        agent = self.settings.user_agent
        if not robots.parser.can_fetch(agent, str(target)):
            token = agent.split("/")[0]
            raise _Failure(f"robots.txt at {robots.url} disallows {target} for {token}")

    def _robots_for(self, source: str, target: httpx.URL, allowed_hosts) -> _Robots:
        """Fetched once per origin and kept for the client's life (held under a lock, so once)."""
        origin = f"{target.scheme}://{target.netloc.decode()}"
        with self._robots_lock:
            if origin not in self._robots:
                self._robots[origin] = self._fetch_robots(source, origin, allowed_hosts)
            return self._robots[origin]

    def _fetch_robots(self, source: str, origin: str, allowed_hosts) -> _Robots:
        """RFC 9309: a 4xx means no rules; a 5xx or no answer means assume everything is off-limits."""
        url = f"{origin}/robots.txt"
        try:
            wire = self._follow(source, httpx.URL(url), allowed_hosts, {}, check_robots=False)
        except _Failure as exc:
            return _Robots(
                url,
                refusal=f"robots.txt at {url} could not be read ({exc.reason}); "
                "treating the host as disallowed",
            )
        if 400 <= wire.status <= 499:
            parser = RobotFileParser(url)
            parser.allow_all = True
            return _Robots(url, parser=parser)
        if wire.status != 200:
            return _Robots(
                url,
                refusal=f"robots.txt at {url} answered HTTP {wire.status} "
                f"{wire.phrase}; treating the host as disallowed",
            )
        parser = RobotFileParser(url)
        text = wire.body[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace")
        parser.parse(text.splitlines())
        return _Robots(url, parser=parser)


# --- helpers without state ----------------------------------------------------------------------
def _validators(previous: ArchivedResponse | None) -> dict[str, str]:
    """Conditional-request headers from the validators the last response carried."""
    if previous is None:
        return {}
    headers = {}
    if etag := previous.headers.get("etag"):
        headers["If-None-Match"] = etag
    if last_modified := previous.headers.get("last-modified"):
        headers["If-Modified-Since"] = last_modified
    return headers


def _next_hop(wire: _Wire, allowed_hosts) -> httpx.URL:
    location = wire.headers.get("location")
    if not location:
        raise _Failure(f"HTTP {wire.status} redirect without a Location header", wire.url)
    target = wire.url.join(location)
    if target.scheme not in ("http", "https"):
        raise _Failure(f"redirect to unsupported scheme {target.scheme!r} ({target})")
    if wire.url.scheme == "https" and target.scheme == "http":
        raise _Failure(f"redirect from https to plain http refused ({target})")
    if not _host_allowed(target, allowed_hosts):
        raise _Failure(
            f"redirect from host {_host_label(wire.url)} to host {_host_label(target)} "
            f"is not allowed (allowed: {', '.join(allowed_hosts)})"
        )
    return target


def _redacted(data: bytes, secrets: tuple[str, ...]) -> bytes:
    for secret in secrets:
        data = data.replace(secret.encode(), b"[redacted]")
    return data


def _without_secrets(headers: dict[str, str], secrets: tuple[str, ...]) -> dict[str, str]:
    """Headers minus any whose value repeats a key (a server that echoes the request back)."""
    return {k: v for k, v in headers.items() if not any(s in v for s in secrets)}


def _to_archived(
    source: str,
    url: str,
    wire: _Wire,
    previous: ArchivedResponse | None,
    secrets: tuple[str, ...] = (),
) -> ArchivedResponse:
    """Turn the last hop into a record, or refuse it; nothing partial ever becomes a record.

    Nothing that repeats an API key is archived: a header whose value holds one is dropped,
    and a body that holds one is refused whole (it cannot be cut without changing the record).
    """
    redirect_note = None if str(wire.url) == url else f"redirected to {wire.url}"
    if wire.status == 304:
        return _not_modified(source, url, wire, previous, redirect_note, secrets)
    if wire.status != 200:
        log.warning(
            "%s: GET %s answered HTTP %d; body starts %r",
            source,
            wire.url,
            wire.status,
            _redacted(wire.body[:200], secrets),
        )
        raise _Failure(f"HTTP {wire.status} {wire.phrase}", wire.url)
    if not wire.body:
        raise _Failure("empty body on HTTP 200", wire.url)
    if any(secret.encode() in wire.body for secret in secrets):
        raise _Failure(
            "the response body repeats an API key we sent; refused so that the key never "
            "reaches the archive",
            wire.url,
        )
    return ArchivedResponse.from_bytes(
        source,
        url,
        wire.body,
        wire.fetched_at,
        status=200,
        content_type=wire.headers.get("content-type"),
        headers=_without_secrets(wire.headers, secrets),
        note=redirect_note,
    )


def _not_modified(
    source: str,
    url: str,
    wire: _Wire,
    previous: ArchivedResponse | None,
    redirect_note,
    secrets: tuple[str, ...] = (),
) -> ArchivedResponse:
    """A 304 proves the previous body is still current now: re-stamp it, keep its status honest.

    Headers are the previous ones updated by the 304's, as a cache freshens a stored response
    (RFC 9111, 4.3.4), so the validators survive for the next conditional request.
    """
    if previous is None:
        raise _Failure("HTTP 304 Not Modified to a request that was not conditional")
    fresh = {k: v for k, v in wire.headers.items() if k != "content-length"}
    note = f"not modified since {previous.response_id}"
    return ArchivedResponse.from_bytes(
        source,
        url,
        previous.body,
        wire.fetched_at,
        status=304,
        content_type=previous.content_type,
        headers=_without_secrets({**previous.headers, **fresh}, secrets),
        note=f"{note}; {redirect_note}" if redirect_note else note,
    )


class _Inflater:
    """Decodes a Content-Encoding (gzip or deflate, the ones httpx asks for) a step at a time,
    never producing more than the caller allows in one step."""

    def __init__(self, header: str):
        encoding = header.strip().lower()
        self._raw_fallback = False
        if encoding in ("", "identity"):
            self._zlib = None
        elif encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._zlib = zlib.decompressobj()
            self._raw_fallback = True  # some servers send raw deflate without the zlib header
        else:
            raise _Failure(f"body could not be decoded (Content-Encoding {header!r})")
        self._encoding = encoding

    def feed(self, data: bytes, limit: int) -> bytes:
        """The decoded bytes of ``data``, at most ``limit`` of them. When the limit is reached
        the caller stops (the body is over the cap), so any unread input is dropped."""
        if self._zlib is None:
            return data
        first, self._raw_fallback = self._raw_fallback, False
        try:
            return self._zlib.decompress(data, max(limit, 1))
        except zlib.error as exc:
            if first:  # not zlib-wrapped: read it as raw deflate from the start
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                return self.feed(data, limit)
            raise _Failure(f"body could not be decoded ({self._encoding}: {exc})") from exc

    def finish(self) -> None:
        if self._encoding in ("gzip", "x-gzip") and not self._zlib.eof:
            raise _Failure("body truncated: the gzip stream ends before its end marker")


def _read_snippet(response: httpx.Response) -> bytes:
    """The first bytes of an error body, for the log; a broken error body is not worth a retry."""
    snippet = b""
    try:
        inflater = _Inflater(response.headers.get("content-encoding", ""))
        for raw in response.iter_raw():
            snippet += inflater.feed(raw, _SNIPPET_BYTES - len(snippet) + 1)
            if len(snippet) >= _SNIPPET_BYTES:
                break
    except (httpx.HTTPError, _Failure):
        pass
    return snippet[:_SNIPPET_BYTES]


def _content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length", "")
    return int(value) if value.strip().isdigit() else None


__all__ = [
    "DEFAULT_API_KEY_ENV",
    "FetchError",
    "HttpSettings",
    "PoliteClient",
    "default_user_agent",
    "format_size",
    "retry_after_seconds",
]
