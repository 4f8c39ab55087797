"""Resources: the HTTP client with its archive, the DuckDB warehouse and the release target.

Every setting has an offline default so a fresh clone runs in replay mode with no
configuration; environment variables override them (see the README's "Configuration").
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb

from modelcompare import warehouse
from modelcompare.archive import Archive, ArchivedResponse
from modelcompare.sources import SourceSpec

REPO = Path(__file__).resolve().parent.parent
MODES = ("replay", "live", "record")


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


class HttpResource(dg.ConfigurableResource):
    """Where responses come from.

    ``replay`` reads the archive at ``replay_dir`` (the bundled one by default) and never opens
    a socket. ``live`` fetches the real URLs politely and archives every response in
    ``archive_dir`` before parsing it. ``record`` does the same but writes into ``replay_dir``,
    so the responses become a replay archive for later runs and tests.
    """

    mode: str = "replay"
    replay_dir: str = str(REPO / "replay")
    archive_dir: str = str(REPO / "data" / "archive")
    max_body_mib: int = 64
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0

    def _check_mode(self) -> None:
        if self.mode not in MODES:
            raise dg.Failure(
                f"MODELCOMPARE_MODE must be one of {', '.join(MODES)}, not {self.mode!r}"
            )

    def archive(self) -> Archive:
        """The archive this mode reads from and, outside replay, writes to."""
        self._check_mode()
        return Archive(self.archive_dir if self.mode == "live" else self.replay_dir)

    def responses_for(self, spec: SourceSpec, fetch_date: str, log=None) -> list[ArchivedResponse]:
        """The responses of one source for one fetch date, bodies loaded.

        Outside replay, today's partition is fetched from the network first; any other date is
        a backfill and re-reads what the archive holds for it.
        """
        archive = self.archive()
        today = dt.datetime.now(dt.UTC).date().isoformat()
        if self.mode != "replay" and fetch_date == today:
            from modelcompare.fetch import fetch_source
            from modelcompare.http import HttpSettings, PoliteClient

            settings = HttpSettings(
                connect_timeout=self.connect_timeout_s,
                read_timeout=self.read_timeout_s,
                max_body_bytes=self.max_body_mib * 1024 * 1024,
            )
            with PoliteClient(settings) as client:
                return fetch_source(spec, archive, client, log=log)
        return [archive.load(r) for r in archive.responses(spec.name, fetch_date)]


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB file. One writer at a time: jobs run in one process and the run queue
    admits one run at a time (see the README's "Concurrency")."""

    path: str = str(REPO / "data" / "modelcompare.duckdb")

    @contextlib.contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        con = warehouse.connect(self.path, read_only=read_only)
        try:
            yield con
        finally:
            con.close()


class ReleaseResource(dg.ConfigurableResource):
    """Where releases are published: ``<export_dir>/current`` points at the newest release."""

    export_dir: str = str(REPO / "data" / "exports")
    as_of: str = ""  # yyyy-mm-dd; empty = the newest fetch (replay) or today (live)
    pages: bool = True


def default_resources() -> dict:
    return {
        "http": HttpResource(
            mode=_env("MODELCOMPARE_MODE", "replay"),
            replay_dir=_env("MODELCOMPARE_REPLAY_DIR", str(REPO / "replay")),
            archive_dir=_env("MODELCOMPARE_ARCHIVE_DIR", str(REPO / "data" / "archive")),
        ),
        "warehouse": WarehouseResource(
            path=_env("MODELCOMPARE_DUCKDB", str(REPO / "data" / "modelcompare.duckdb"))
        ),
        "release": ReleaseResource(
            export_dir=_env("MODELCOMPARE_EXPORT_DIR", str(REPO / "data" / "exports")),
            as_of=_env("MODELCOMPARE_AS_OF", ""),
        ),
    }
