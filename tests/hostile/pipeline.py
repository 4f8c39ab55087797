"""The whole pipeline through Dagster on a small archive, and what to check after it.

``refresh`` runs what ``scripts/refresh`` runs, as three ``dg.materialize`` calls on an ephemeral
instance: the archive index, every source for each fetch date (a failing source fails only its
own step), then facts, pair facts and the release. Paths are all under one temporary root, so
a test can list that tree before and after and see every file the run wrote.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb

from modelcompare.archive import Archive, ArchivedResponse
from pipelines.definitions import defs
from pipelines.resources import HttpResource, ReleaseResource, WarehouseResource

WHEN = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
ARCHIVE_INDEX = dg.AssetKey(["raw", "archive_index"])
INGEST = dg.AssetSelection.groups("ingest") - dg.AssetSelection.assets(ARCHIVE_INDEX)
PUBLISH = dg.AssetSelection.groups("normalize", "compare", "publish")


@dataclass
class Layout:
    """Where one test run keeps everything."""

    root: Path

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def db(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    def put(self, source: str, url: str, body: bytes, when: dt.datetime = WHEN, **kw) -> None:
        Archive(self.archive).put(ArchivedResponse.from_bytes(source, url, body, when, **kw))

    def resources(self, *, mode: str = "replay", as_of: str = "") -> dict:
        return {
            "http": HttpResource(
                mode=mode, replay_dir=str(self.archive), archive_dir=str(self.archive)
            ),
            "warehouse": WarehouseResource(path=str(self.db)),
            "release": ReleaseResource(export_dir=str(self.exports), as_of=as_of),
        }


@dataclass
class Outcome:
    """What a refresh did: which steps failed, with their messages, and every log message."""

    failed_steps: dict[str, str] = field(default_factory=dict)
    succeeded_steps: set[str] = field(default_factory=set)
    checks: dict[str, bool] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)

    def absorb(self, result: dg.ExecuteInProcessResult) -> None:
        for event in result.all_events:
            if event.message:
                self.messages.append(event.message)
            if event.is_step_failure:
                info = event.event_specific_data.error
                self.failed_steps[event.step_key] = info.message if info else ""
            elif event.is_step_success:
                self.succeeded_steps.add(event.step_key)
        for evaluation in result.get_asset_check_evaluations():
            self.checks[evaluation.check_name] = evaluation.passed


def all_assets() -> list:
    return [*defs.assets, *defs.asset_checks]


def refresh(
    layout: Layout,
    instance: dg.DagsterInstance,
    *,
    mode: str = "replay",
    as_of: str = "",
    source_assets: Iterable | None = None,
    only_archived: bool = False,
    sources: Iterable[str] | None = None,
    on_phase=None,
) -> Outcome:
    """Index, load every fetch date, then publish. ``source_assets`` replaces assets of the
    same key (a test pointing a source at a loopback server); ``only_archived`` loads only the
    sources the archive holds (the others have nothing to load; skipping them saves time),
    ``sources`` loads only those;
    ``on_phase(name)`` is called as each of the three runs starts."""
    assets = all_assets()
    if source_assets:
        replacing = {key for a in source_assets for key in a.keys}
        assets = [a for a in assets if not set(getattr(a, "keys", ())) & replacing]
        assets += list(source_assets)
    ingest = INGEST
    if only_archived or sources is not None:
        held = Archive(layout.archive).sources() if sources is None else list(sources)
        ingest = dg.AssetSelection.assets(*(dg.AssetKey(["raw", s]) for s in held))
    resources = layout.resources(mode=mode, as_of=as_of)
    outcome = Outcome()
    phase = on_phase or (lambda name: None)
    common = dict(resources=resources, instance=instance, raise_on_error=False)
    phase("index")
    outcome.absorb(dg.materialize(assets, selection=[ARCHIVE_INDEX], **common))
    for date in instance.get_dynamic_partitions("fetch_dates"):
        phase("ingest")
        outcome.absorb(dg.materialize(assets, selection=ingest, partition_key=date, **common))
    phase("publish")
    outcome.absorb(dg.materialize(assets, selection=PUBLISH, **common))
    return outcome


def tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` (relative path -> sha256), symlinks as their target."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            path = Path(dirpath) / name
            rel = str(path.relative_to(root))
            if path.is_symlink():
                found[rel] = "-> " + os.readlink(path)
            else:
                found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def whole_release(exports: Path) -> tuple[str, dict]:
    """The release ``current`` points at, checked whole: every file its manifest lists has
    that size and hash, and no other file is in the release. Returns (release id, manifest).

    Manifest paths are read relative to the release folder, or to its ``v1`` folder when the
    manifest lists paths without the ``v1/`` prefix.
    """
    current = exports / "current"
    assert current.is_symlink(), "current is not a symlink"
    target = current.resolve()
    assert target.parent == (exports / "releases").resolve(), f"current points at {target}"
    manifest_path = target / "v1" / "manifest.json"
    manifest = json.loads(manifest_path.read_bytes())
    listed = set()
    for rel, meta in manifest["files"].items():
        path = target / rel if (target / rel).is_file() else target / "v1" / rel
        body = path.read_bytes()
        assert len(body) == meta["bytes"], rel
        assert hashlib.sha256(body).hexdigest() == meta["sha256"], rel
        listed.add(path)
    on_disk = {p for p in target.rglob("*") if p.is_file()} - {manifest_path}
    assert on_disk <= listed, sorted(str(p) for p in on_disk - listed)[:5]
    return manifest["release_id"], manifest


def documents(exports: Path) -> dict[str, dict]:
    """Every JSON document of the current release, parsed, by path under v1."""
    v1 = exports / "current" / "v1"
    return {str(p.relative_to(v1)): json.loads(p.read_bytes()) for p in v1.rglob("*.json")}


def pages(exports: Path) -> dict[str, str]:
    """Every HTML page of the current release, by path under current."""
    current = exports / "current"
    return {str(p.relative_to(current)): p.read_text() for p in current.rglob("*.html")}


def strings(value) -> Iterable[str]:
    """Every string in a parsed JSON document, keys included."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def query(db: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()
