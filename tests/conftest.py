"""Shared fixtures. Tests read only what the repository ships (``replay/``), never ``../shared``."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelcompare.archive import Archive, ArchivedResponse

REPO = Path(__file__).resolve().parent.parent
REPLAY_DIR = REPO / "replay"


@pytest.fixture(scope="session")
def replay_archive() -> Archive:
    """The bundled replay archive, read-only."""
    return Archive(REPLAY_DIR)


def load_recorded(
    source: str, url_part: str = "", fetch_date: str | None = None
) -> ArchivedResponse:
    """The newest bundled response of ``source`` whose URL contains ``url_part`` (with body)."""
    archive = Archive(REPLAY_DIR)
    dates = [fetch_date] if fetch_date else list(reversed(archive.fetch_dates(source)))
    for day in dates:
        for response in reversed(archive.responses(source, day)):
            if url_part in response.url:
                return archive.load(response)
    raise LookupError(f"no bundled response for {source!r} {url_part!r} {fetch_date!r}")
