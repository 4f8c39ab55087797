"""Fetch one source's URLs into the archive: the live half of the ``ingest`` assets.

Each URL is fetched whole (see ``modelcompare.http``) and archived before the next one starts,
so the archive only ever holds complete responses. The first failure stops the source: the
responses already archived stay (they are true records of what the source said), but the caller
must treat the source as failed for this run rather than parse a partial set.

The last archived response of each URL makes the request conditional; a 304 is archived as a new
record carrying the old body, because it proves the source still says the same thing today.
"""

from __future__ import annotations

from typing import Any, Protocol

from modelcompare.archive import Archive, ArchivedResponse, ArchiveError
from modelcompare.http import FetchError, PoliteClient
from modelcompare.sources import SourceSpec

_HTML_KINDS = frozenset({"html"})  # pages made for people: robots.txt applies to these

__all__ = ["FetchError", "fetch_source"]


class ProgressLog(Protocol):
    """What we need of a logger: ``logging.Logger`` and Dagster's ``context.log`` both fit."""

    def info(self, msg: str, *args: Any) -> None: ...

    def warning(self, msg: str, *args: Any) -> None: ...


def fetch_source(
    spec: SourceSpec,
    archive: Archive,
    client: PoliteClient,
    *,
    log: ProgressLog | None = None,
) -> list[ArchivedResponse]:
    """Fetch and archive every URL of ``spec``, in order; the responses come back with bodies.

    Raises ``FetchError`` at the first URL that fails; nothing of that URL is archived.
    """
    responses = []
    for url in spec.urls:
        previous = _previous(archive, spec.name, url, log)
        response = client.get(
            spec.name,
            url,
            spec.hosts,
            conditional_from=previous,
            check_robots=spec.kind in _HTML_KINDS,
        )
        archive.put(response)
        _log_fetched(log, response)
        responses.append(response)
    return responses


def _previous(
    archive: Archive, source: str, url: str, log: ProgressLog | None
) -> ArchivedResponse | None:
    """The last archived response of ``url`` with its body, or None to fetch unconditionally."""
    latest = archive.latest(source, url)
    if latest is None:
        return None
    try:
        return archive.load(latest)
    except ArchiveError as exc:
        # A damaged record must not block today's fetch; a full GET replaces what it vouched for.
        if log is not None:
            log.warning("%s: not sending a conditional request for %s: %s", source, url, exc)
        return None


def _log_fetched(log: ProgressLog | None, response: ArchivedResponse) -> None:
    if log is None:
        return
    if response.status == 304:
        log.info("not modified %s (%d bytes, kept from before)", response.url, response.size)
    else:
        log.info("fetched %s (%d bytes)", response.url, response.size)
