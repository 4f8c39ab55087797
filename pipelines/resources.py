"""Resources: the HTTP client with its archive, the DuckDB warehouse and the release target.

Every setting has an offline default so a fresh clone runs in replay mode with no
configuration; environment variables override them (see the README's "Configuration").
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import time
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
                connect_timeout_s=self.connect_timeout_s,
                read_timeout_s=self.read_timeout_s,
                max_body_bytes=self.max_body_mib * 1024 * 1024,
            )
            with PoliteClient(settings) as client:
                return fetch_source(spec, archive, client, log=log)
        return [archive.load(r) for r in archive.responses(spec.name, fetch_date)]


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB file. DuckDB allows one writing process per file, so three guards keep
    writers apart: every asset that opens it is in the ``warehouse`` pool (limit 1 in the
    instance's dagster.yaml, so steps of concurrent runs take turns), the run queue admits one
    run at a time, and a process that still finds the file locked (a DuckDB shell, a script)
    waits up to ``lock_timeout_s`` and then fails naming the process that holds it."""

    path: str = str(REPO / "data" / "modelcompare.duckdb")
    lock_timeout_s: float = 120.0

    @contextlib.contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        con = connect_waiting(self.path, read_only=read_only, timeout_s=self.lock_timeout_s)
        try:
            yield con
        finally:
            con.close()


def connect_waiting(
    path: str, *, read_only: bool = False, timeout_s: float = 120.0
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, waiting while another process holds its lock.

    Raises ``dg.Failure`` after ``timeout_s`` with DuckDB's own words on who holds the lock.
    """
    deadline = time.monotonic() + timeout_s
    delay, warned = 0.2, False
    while True:
        try:
            return warehouse.connect(path, read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() >= deadline:
                held = re.search(r"held in (.+?)(?:\. See also|$)", str(exc))
                holder = f"held by {held.group(1)}" if held else str(exc)
                raise dg.Failure(
                    description=(
                        f"The warehouse {path} stayed locked for {timeout_s:.0f} s ({holder}). "
                        "Another refresh, a backfill outside the run queue or an open DuckDB "
                        "shell is writing to it; let it finish or close it, then run again."
                    ),
                    metadata={"path": path, "lock_timeout_s": timeout_s},
                ) from exc
            if not warned:
                # Inside a step this logger writes to the run's log; outside, to stderr.
                dg.get_dagster_logger().warning(
                    "Warehouse %s is locked by another process; waiting up to %.0f s",
                    path,
                    timeout_s,
                )
                warned = True
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 2, 2.0)


class ReleaseResource(dg.ConfigurableResource):
    """Where releases are published: ``<export_dir>/current`` points at the newest release."""

    export_dir: str = str(REPO / "data" / "exports")
    as_of: str = ""  # yyyy-mm-dd; empty = the newest fetch (replay) or today (live)
    pages: bool = True


def _as_of_setting() -> str:
    """MODELCOMPARE_AS_OF, checked when the code location loads, before any work starts."""
    value = os.environ.get("MODELCOMPARE_AS_OF", "")
    if value:
        try:
            dt.date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(
                f"MODELCOMPARE_AS_OF must be a date, yyyy-mm-dd, not {value!r}"
            ) from exc
    return value


def default_resources() -> dict:
    return {
        "http": HttpResource(
            mode=_env("MODELCOMPARE_MODE", "replay"),
            replay_dir=_env("MODELCOMPARE_REPLAY_DIR", str(REPO / "replay")),
            archive_dir=_env("MODELCOMPARE_ARCHIVE_DIR", str(REPO / "data" / "archive")),
        ),
        "warehouse": WarehouseResource(
            path=_env("MODELCOMPARE_DUCKDB", str(REPO / "data" / "modelcompare.duckdb")),
            lock_timeout_s=float(_env("MODELCOMPARE_LOCK_TIMEOUT_S", "120")),
        ),
        "release": ReleaseResource(
            export_dir=_env("MODELCOMPARE_EXPORT_DIR", str(REPO / "data" / "exports")),
            as_of=_as_of_setting(),
        ),
    }
