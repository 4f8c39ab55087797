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


@pytest.fixture(scope="session")
def refreshed(tmp_path_factory) -> dict:
    """The README's main command, ``scripts/refresh``, run once for the session in temp dirs.

    Returns the paths of the warehouse, the export folder and the instance, and the output.
    """
    import os
    import subprocess

    root = tmp_path_factory.mktemp("refresh")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(root / "dagster_home"),
        "MODELCOMPARE_DUCKDB": str(root / "warehouse.duckdb"),
        "MODELCOMPARE_EXPORT_DIR": str(root / "exports"),
    }
    (root / "dagster_home").mkdir()
    done = subprocess.run(
        [str(REPO / "scripts" / "refresh")], env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return {
        "root": root,
        "env": env,
        "db": root / "warehouse.duckdb",
        "exports": root / "exports",
        "v1": root / "exports" / "current" / "v1",
        "stdout": done.stdout,
    }
