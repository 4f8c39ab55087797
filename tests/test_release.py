"""Safe releases: a publish killed at any step (by an exception from ``on_step`` or by SIGKILL
in a real subprocess) leaves the previous release whole and ``current`` valid; a second run
on unchanged input writes no file at all and says nothing changed; an invalid document stops
the release before anything is written; a changed input writes only what changed, links the
rest and reports the change in ``changes.json``."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from modelcompare import export
from tests._release import REPO, Built

MAGISTRAL = "v1/models/magistral-small-2509.json"
WHEN = dt.datetime(2026, 8, 22, 3, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def built(refreshed) -> Built:
    return Built.from_refresh(refreshed)


@pytest.fixture(scope="module")
def docs(built) -> dict[str, bytes]:
    """The built release's files as publish takes them (without the files it writes itself)."""
    return {p: b for p, b in built.files().items() if p not in export.RUN_FILES}


@pytest.fixture
def exports(built, tmp_path) -> Path:
    """A private copy of the built export folder (hard links: instant, and a rewrite would
    show as a new inode)."""
    target = tmp_path / "exports"
    shutil.copytree(built.export_dir, target, symlinks=True, copy_function=os.link)
    return target


def _changed(docs: dict[str, bytes]) -> dict[str, bytes]:
    """The same release with Magistral Small 2509's Mistral input price moved 0.5 → 0.45."""
    doc = json.loads(docs[MAGISTRAL])
    offering = next(o for o in doc["offerings"] if o["provider"]["id"] == "mistral")
    assert offering["prices"]["input"]["value"] == 0.5
    offering["prices"]["input"]["value"] = 0.45
    return {**docs, MAGISTRAL: export.dumps(doc)}


def _snapshot(root: Path) -> dict[str, tuple]:
    out = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder, name)
            st = path.lstat()
            link = os.readlink(path) if path.is_symlink() else None
            out[str(path.relative_to(root))] = (st.st_ino, st.st_mtime_ns, st.st_size, link)
    return out


def _assert_whole(export_dir: Path) -> str:
    """``current`` resolves to a release whose every file matches its manifest."""
    release = export.current_release(export_dir)
    assert release is not None and release.parent.name == "releases"
    manifest = json.loads((release / "v1" / "manifest.json").read_bytes())
    assert manifest["release_id"] == release.name
    on_disk = {str(p.relative_to(release)) for p in release.rglob("*") if p.is_file()}
    assert on_disk == set(manifest["files"]) | {"v1/manifest.json"}
    for path, entry in manifest["files"].items():
        assert hashlib.sha256((release / path).read_bytes()).hexdigest() == entry["sha256"], path
    return release.name


def test_second_run_on_unchanged_input_writes_no_file(built):
    before = _snapshot(built.export_dir)
    warehouse = built.warehouse.stat().st_mtime_ns
    result = built.publish_again()
    assert result.success
    metadata = {
        k: v.value
        for k, v in result.asset_materializations_for_node("publish__release")[0].metadata.items()
    }
    assert metadata["changed"] is False
    assert (metadata["files_written"], metadata["files_unchanged"], metadata["files_checked"]) == (
        0,
        0,
        0,
    )
    assert metadata["release_id"] == built.release_dir.name
    assert _snapshot(built.export_dir) == before
    assert built.warehouse.stat().st_mtime_ns == warehouse
    check = result.get_asset_check_evaluations()[0]
    assert check.passed and check.check_name == "documents_match_contract"


def test_unchanged_documents_return_before_touching_the_disk(docs, exports):
    before = _snapshot(exports)
    result = export.publish(docs, exports, generated_at=WHEN, validate=lambda files: pytest.fail())
    assert (result.changed, result.files_written, result.files_linked) == (False, 0, 0)
    assert _snapshot(exports) == before


def test_changed_input_writes_only_what_changed(docs, exports):
    previous = export.current_release(exports)
    checked = {}
    result = export.publish(_changed(docs), exports, generated_at=WHEN, validate=checked.update)
    assert result.changed and result.release_id != previous.name
    # The model document and the three run files; every other file is the same inode.
    assert result.files_written == 4 and result.files_linked == len(docs) - 1
    assert sorted(checked) == sorted([MAGISTRAL, *export.RUN_FILES])
    new = result.release_dir
    assert (new / "v1/catalog.json").stat().st_ino == (previous / "v1/catalog.json").stat().st_ino
    assert (new / MAGISTRAL).stat().st_ino != (previous / MAGISTRAL).stat().st_ino
    changes = json.loads((new / "v1/changes.json").read_bytes())
    assert changes["previous_release_id"] == previous.name
    assert changes["documents_changed"] == ["models/magistral-small-2509.json"]
    assert changes["price_changes"] == [
        {"model": "magistral-small-2509", "offering": changes["price_changes"][0]["offering"],
         "provider": "mistral", "kind": "input", "from": 0.5, "to": 0.45}
    ]  # fmt: skip
    index = json.loads((new / "v1/index.json").read_bytes())
    assert index["generated_at"] == "2026-08-22T03:00:00Z"
    assert _assert_whole(exports) == result.release_id


@pytest.mark.parametrize("crash_at", ["staging", "written", "renamed"])
def test_crash_before_the_switch_leaves_the_previous_release_current(docs, exports, crash_at):
    previous = _assert_whole(exports)

    def crash(name):
        if name == crash_at:
            raise KeyboardInterrupt(f"crash after {name}")

    with pytest.raises(KeyboardInterrupt):
        export.publish(_changed(docs), exports, generated_at=WHEN, on_step=crash)
    assert _assert_whole(exports) == previous
    assert not list(exports.glob(".staging-*"))  # the half-written folder went with the crash
    new_id = export.release_id_of(_changed(docs))
    assert (exports / "releases" / new_id).exists() == (crash_at == "renamed")

    result = export.publish(_changed(docs), exports, generated_at=WHEN)
    assert result.changed and result.release_id == new_id
    assert _assert_whole(exports) == new_id


def test_crash_after_the_switch_leaves_the_new_release_current(docs, exports):
    def crash(name):
        if name == "switched":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        export.publish(_changed(docs), exports, generated_at=WHEN, on_step=crash)
    assert _assert_whole(exports) == export.release_id_of(_changed(docs))


KILLED_PUBLISH = """
import datetime as dt, json, sys, time
from pathlib import Path
from modelcompare import export
src, dest, stop_at = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
docs = {str(p.relative_to(src)): p.read_bytes() for p in src.rglob("*") if p.is_file()}
for run_file in export.RUN_FILES:
    docs.pop(run_file)
doc = json.loads(docs[sys.argv[4]])
doc["name"] += " (renamed)"
docs[sys.argv[4]] = export.dumps(doc)
def step(name):
    print(name, flush=True)
    if name == stop_at:
        time.sleep(300)
export.publish(docs, dest, generated_at=dt.datetime(2026, 8, 22, tzinfo=dt.UTC), on_step=step)
print("done", flush=True)
"""


@pytest.mark.parametrize("kill_after", ["staging", "renamed", "anywhere"])
def test_sigkill_during_publish_leaves_a_whole_release(built, docs, exports, kill_after):
    """A real publish in a subprocess, killed with SIGKILL: while it sleeps mid-write
    ("staging") or between the rename and the switch ("renamed"), or without pausing, just
    after it starts writing ("anywhere": wherever the signal lands)."""
    previous = _assert_whole(exports)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_PUBLISH, str(built.release_dir), str(exports),
         kill_after, MAGISTRAL],
        stdout=subprocess.PIPE, cwd=REPO, env=env, text=True,
    )  # fmt: skip
    try:
        waiting_for = "staging" if kill_after == "anywhere" else kill_after
        for line in proc.stdout:
            if line.strip() == waiting_for:
                break
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL

    now = _assert_whole(exports)
    if kill_after != "anywhere":
        assert now == previous
    assert now in (previous, *(p.name for p in (exports / "releases").iterdir()))
    # The next publish clears what the killed one left behind and goes through.
    result = export.publish(_changed(docs), exports, generated_at=WHEN)
    assert result.changed
    assert not list(exports.glob(".staging-*")) and not list(exports.glob(".current-*"))
    assert _assert_whole(exports) == result.release_id


def test_an_invalid_document_stops_the_release_before_any_write(docs, exports):
    pair_path = next(p for p in docs if p.startswith("v1/pairs/"))
    broken = json.loads(docs[pair_path])
    broken["prices"]["input"]["pct_cheaper"] = 150.0
    before = _snapshot(exports)
    with pytest.raises(export.ReleaseInvalid, match="greater than the maximum of 100"):
        export.publish(
            {**docs, pair_path: export.dumps(broken)},
            exports,
            generated_at=WHEN,
            validate=export.validate_documents,
        )
    assert _snapshot(exports) == before


def test_old_releases_are_pruned_but_current_and_previous_kept(tmp_path):
    exports = tmp_path / "exports"
    ids = []
    for n in range(export.KEEP_RELEASES + 3):
        docs = {"v1/catalog.json": export.dumps({"n": n}), "site/index.html": b"<!doctype html>\n"}
        ids.append(export.publish(docs, exports, generated_at=WHEN).release_id)
    kept = {p.name for p in (exports / "releases").iterdir()}
    assert len(kept) == export.KEEP_RELEASES and ids[-1] in kept and ids[-2] in kept
    assert export.current_release(exports).name == ids[-1]


# --- a release whose inputs did not change is not rendered again ---------------------------
def _fingerprint_db():
    import duckdb

    con = duckdb.connect()
    for schema in ("raw", "core", "compare"):
        con.execute(f"create schema {schema}")
    con.execute(
        "create table core.facts (model_id varchar, attribute varchar, num_value decimal(18, 9))"
    )
    con.execute(
        "insert into core.facts values ('a', 'price_input', 0.5), ('b', 'price_input', 0.8)"
    )
    con.execute("create table raw.observations (raw_id varchar)")
    con.execute("create table compare.model_summary (model_key integer, providers varchar[])")
    con.execute("insert into compare.model_summary values (1, ['x', 'y']), (2, ['y'])")
    return con


def test_warehouse_fingerprint_follows_every_row():
    con = _fingerprint_db()
    first = export.warehouse_fingerprint(con)
    assert export.warehouse_fingerprint(con) == first
    # Two models swap their prices: every column holds the same values, the rows do not.
    con.execute("update core.facts set num_value = case model_id when 'a' then 0.8 else 0.5 end")
    swapped = export.warehouse_fingerprint(con)
    assert swapped != first
    con.execute("update compare.model_summary set providers = ['y', 'x'] where model_key = 1")
    assert export.warehouse_fingerprint(con) not in (first, swapped)
    con.execute("insert into compare.model_summary values (1, ['y', 'x'])")  # a duplicate row
    duplicated = export.warehouse_fingerprint(con)
    assert duplicated not in (first, swapped)
    # raw.observations reaches releases only through the core tables: not hashed. Nor is the
    # load log, or the time of the newest load: loading the same data again is no change.
    con.execute("insert into raw.observations values ('anything')")
    con.execute("create table raw.source_loads (source varchar, loaded_at timestamptz)")
    con.execute("insert into raw.source_loads values ('openrouter', now())")
    con.execute(
        "create table core.source_status (source varchar, freshness varchar,"
        " last_attempt_at timestamptz)"
    )
    con.execute("insert into core.source_status values ('openrouter', 'fresh', now())")
    duplicated = export.warehouse_fingerprint(con)
    con.execute("insert into raw.source_loads values ('openrouter', now())")
    con.execute("update core.source_status set last_attempt_at = now() + interval 1 hour")
    assert export.warehouse_fingerprint(con) == duplicated
    con.execute("update core.source_status set freshness = 'stale'")
    assert export.warehouse_fingerprint(con) != duplicated
    con.execute("update core.source_status set freshness = 'fresh'")
    con.execute("create table core.new_table (x integer)")
    assert export.warehouse_fingerprint(con) != duplicated


def test_code_fingerprint_follows_templates_and_sql(tmp_path):
    for name in ("modelcompare/export.py", "sql/a.sql", "templates/pair.html", "registry/m.yaml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name)
    first = export.code_fingerprint(tmp_path)
    (tmp_path / "templates" / "pair.html").write_text("changed")
    second = export.code_fingerprint(tmp_path)
    (tmp_path / "sql" / "b.sql").write_text("select 1")
    third = export.code_fingerprint(tmp_path)
    (tmp_path / "README.md").write_text("not an input")
    assert len({first, second, third}) == 3
    assert export.code_fingerprint(tmp_path) == third


def test_recorded_inputs_count_only_for_the_current_release(docs, tmp_path):
    exports = tmp_path / "exports"
    assert export.release_for_inputs(exports, "f1") is None  # nothing published yet
    first = export.publish(docs, exports, generated_at=WHEN)
    export.record_inputs(exports, "f1", first.release_id)
    assert (
        export.release_for_inputs(exports, "f1")
        == exports.resolve() / "releases" / first.release_id
    )
    assert export.release_for_inputs(exports, "f2") is None
    # A newer release switched in without its inputs recorded (a crash right after the
    # switch): the record names the older release, so nothing is skipped.
    second = export.publish(_changed(docs), exports, generated_at=WHEN)
    assert second.changed
    assert export.release_for_inputs(exports, "f1") is None
    (exports / export.INPUTS_FILE).write_text("{not json")
    assert export.release_for_inputs(exports, "f1") is None


def test_inputs_that_cannot_be_recorded_never_fail_a_release(tmp_path):
    exports = tmp_path / "exports"
    (exports / export.INPUTS_FILE).mkdir(parents=True)  # in the way: a folder
    reason = export.record_inputs(exports, "f1", "0123456789abcdef")
    assert reason.startswith("IsADirectoryError")
    assert [p.name for p in exports.iterdir()] == [export.INPUTS_FILE]  # no temporary left
    (exports / export.INPUTS_FILE).rmdir()
    assert export.record_inputs(exports, "f1", "0123456789abcdef") == ""
    written = (exports / export.INPUTS_FILE).stat().st_mtime_ns
    assert export.record_inputs(exports, "f1", "0123456789abcdef") == ""  # same: not rewritten
    assert (exports / export.INPUTS_FILE).stat().st_mtime_ns == written
