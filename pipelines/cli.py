"""Small helpers the README's commands call around the Dagster CLI.

    python -m pipelines.cli prepare             before a refresh: recover-orphans, then register
                                                the archive's fetch dates and print FIRST...LAST
    python -m pipelines.cli partition-range     registered fetch dates as FIRST...LAST
    python -m pipelines.cli recover-orphans     fail CLI runs a killed refresh left started
    python -m pipelines.cli summary             what the last refresh produced and where
    python -m pipelines.cli checks              the newest result of every asset check
    python -m pipelines.cli reject-slice SOURCE FETCH_DATE --reason TEXT
    python -m pipelines.cli accept-slice SOURCE FETCH_DATE --reason TEXT

``reject-slice`` takes a bad fetch out of the warehouse (its rows are deleted, its loads marked
rejected, later runs skip it), so the source's previous fetch is its last good data and the
source shows as failing. ``accept-slice`` vouches for a fetch a check flagged (a real fall in
a source's record count) and lets a rejected one be loaded again. Neither publishes anything:
run the publish step afterwards (``scripts/refresh``, or the publish job in the UI).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import dagster as dg

from modelcompare import export, warehouse
from pipelines.resources import connect_waiting, default_resources


def out(text: str) -> None:
    sys.stdout.write(text)


def partition_range() -> int:
    with dg.DagsterInstance.get() as instance:
        keys = instance.get_dynamic_partitions("fetch_dates")
    if not keys:
        sys.stderr.write(
            "no fetch dates registered; run `python -m pipelines.cli prepare` (or the"
            " raw/archive_index asset) first\n"
        )
        return 1
    out(f"{keys[0]}...{keys[-1]}\n")
    return 0


def prepare() -> int:
    """What ``scripts/refresh`` needs before its first run, in one process: orphans recovered,
    the archive's fetch dates registered (as ``raw/archive_index`` does), the range printed."""
    from assets.ingest import register_fetch_dates

    recover_orphans()
    http = default_resources()["http"]
    root = http.archive().root
    with dg.DagsterInstance.get() as instance:
        dates, new = register_fetch_dates(instance, http)
    if not dates:
        why = "does not exist" if not Path(root).exists() else "holds no fetch dates"
        sys.stderr.write(
            f"the archive {root} ({http.mode} mode) {why}: nothing to load. Replay reads"
            " MODELCOMPARE_REPLAY_DIR (default replay/); live mode archives into"
            " MODELCOMPARE_ARCHIVE_DIR.\n"
        )
        return 1
    sys.stderr.write(f"{len(dates)} fetch dates in the archive ({len(new)} new)\n")
    out(f"{dates[0]}...{dates[-1]}\n")
    return 0


def summary() -> int:
    resources = default_resources()
    db_path = resources["warehouse"].path
    export_dir = Path(resources["release"].export_dir)
    tables = {
        "observations": "raw.observations",
        "models": "core.models",
        "offerings": "core.offerings",
        "facts": "core.facts",
        "conflicts": "core.conflicts",
        "unmatched ids": "core.unmatched_ids",
        "pair rows": "compare.pair_facts",
    }
    if not Path(db_path).exists():
        out(f"No warehouse yet at {db_path}: run scripts/refresh first\n")
        return 1
    con = warehouse.connect(db_path, read_only=True)
    try:
        present = {
            f"{s}.{t}"
            for s, t in con.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
        }
        figures = {
            name: con.execute(f"select count(*) from {table}").fetchone()[0]
            if table in present
            else None
            for name, table in tables.items()
        }
        status = (
            con.execute(
                "select source, freshness, last_good_fetch_date, age_days,"
                " coalesce(last_error, '') from core.source_status order by source"
            ).fetchall()
            if "core.source_status" in present
            else []
        )
    finally:
        con.close()
    out(f"Warehouse: {db_path}\n")
    for name, value in figures.items():
        out(f"  {name:>14}: {'not built yet' if value is None else f'{value:,}'}\n")
    out("Sources (freshness judged at the run's as-of date):\n")
    for source, fresh, last_good, age, error in status:
        line = f"  {source:<22} {fresh:<8} last good fetch {last_good}  ({age} days old)"
        out(line + (f"  last error: {error[:120]}" if error and fresh == "failing" else "") + "\n")
    failed = [r for r in _latest_checks() if r["status"] == "failed"]
    if failed:
        out("Checks that failed on their latest run:\n")
        for r in failed:
            out(f"  {r['severity']:<5} {r['asset']} {r['check']}: {r['description']}\n")
    current = export.current_release(export_dir)
    if current is None:
        out(f"No release published under {export_dir}\n")
        return 1
    index = json.loads((current / "v1" / "index.json").read_text())
    catalog = json.loads((current / "v1" / "catalog.json").read_text())
    out(
        f"Release {index['release_id']} (generated {index['generated_at']}): {export_dir / 'current' / 'v1'}\n"
    )
    out(f"  {len(catalog['models']):,} model documents, {len(catalog['pairs'])} pair documents\n")
    for pair in catalog["pairs"][:5]:
        out(f"  e.g. {export_dir / 'current' / 'v1' / pair['document']}\n")
    pages = current / "site" / "index.html"
    if pages.exists():
        out(f"Pages: {pages}\n")
    return 0


def _latest_checks() -> list[dict]:
    """The newest evaluation of every check in the code location, from the Dagster instance."""
    from dagster._core.storage.asset_check_execution_record import (
        AssetCheckExecutionRecordStatus,
    )

    from pipelines.definitions import defs

    keys = sorted(
        defs.resolve_asset_graph().asset_check_keys,
        key=lambda k: (k.asset_key.to_user_string(), k.name),
    )
    results = []
    with dg.DagsterInstance.get() as instance:
        for key in keys:
            record = instance.get_latest_asset_check_evaluation_record(key)
            if record is None or record.event is None:
                continue
            evaluation = record.event.dagster_event.event_specific_data
            passed = record.status == AssetCheckExecutionRecordStatus.SUCCEEDED
            metadata = getattr(evaluation, "metadata", {}) or {}
            results.append(
                {
                    "asset": key.asset_key.to_user_string(),
                    "check": key.name,
                    "status": "passed" if passed else "failed",
                    "severity": getattr(evaluation, "severity", dg.AssetCheckSeverity.ERROR).value,
                    "description": getattr(evaluation, "description", None) or "",
                    "when": dt.datetime.fromtimestamp(record.create_timestamp, dt.UTC),
                    "metadata": {k: getattr(v, "value", v) for k, v in metadata.items()},
                }
            )
    return results


def checks(verbose: bool) -> int:
    results = _latest_checks()
    if not results:
        out("No check has run yet in this Dagster instance.\n")
        return 0
    for r in results:
        label = "ok" if r["status"] == "passed" else ("WARN" if r["severity"] == "WARN" else "FAIL")
        out(f"{label:<4} {r['asset']:<24} {r['check']:<30} {r['when']:%Y-%m-%d %H:%M}Z")
        out(f"  {r['description']}\n" if r["description"] else "\n")
        if verbose and r["status"] == "failed":
            for name, value in r["metadata"].items():
                text = value if isinstance(value, str) else json.dumps(value, default=str)
                out("      " + f"{name}: {text}".replace("\n", "\n      ") + "\n")
    blocking = [r for r in results if r["status"] == "failed" and r["severity"] == "ERROR"]
    return 1 if blocking else 0


def _slice_loads(con, source: str, fetch_date: str) -> list[tuple]:
    return con.execute(
        "select status, num_records, loaded_at, error from raw.source_loads"
        " where source = ? and fetch_date = ? order by loaded_at",
        [source, fetch_date],
    ).fetchall()


def reject_slice(source: str, fetch_date: str, reason: str) -> int:
    path = default_resources()["warehouse"].path
    con = connect_waiting(path)
    try:
        loads = _slice_loads(con, source, fetch_date)
        if not any(status == "ok" for status, *_ in loads):
            sys.stderr.write(f"{source} {fetch_date}: no loaded slice to reject\n")
            return 1
        note = f"rejected by an operator on {dt.date.today()}: {reason}"
        con.execute("begin transaction")
        warehouse.run_sql(
            con, "delete_observations_for_fetch.sql", {"source": source, "fetch_date": fetch_date}
        )
        con.execute(
            "delete from raw.responses where source = ? and fetch_date = ?", [source, fetch_date]
        )
        con.execute(
            "update raw.source_loads set status = 'rejected', error = ?"
            " where source = ? and fetch_date = ? and status = 'ok'",
            [note, source, fetch_date],
        )
        con.execute("commit")
    finally:
        con.close()
    out(
        f"{source} {fetch_date}: removed from the warehouse and marked rejected; later runs skip "
        "it.\nPublish again to rebuild facts without it: scripts/refresh (or the publish_job).\n"
    )
    return 0


def accept_slice(source: str, fetch_date: str, reason: str) -> int:
    path = default_resources()["warehouse"].path
    con = connect_waiting(path)
    try:
        loads = [row for row in _slice_loads(con, source, fetch_date) if row[0] != "accepted"]
        if not loads or loads[-1][0] not in ("ok", "rejected"):
            sys.stderr.write(f"{source} {fetch_date}: no loaded or rejected slice to accept\n")
            return 1
        status, num_records = loads[-1][0], loads[-1][1]
        note = f"accepted by an operator on {dt.date.today()}: {reason}"
        warehouse.record_load(con, source, fetch_date, "accepted", 0, num_records, 0, note)
    finally:
        con.close()
    again = (
        " It was rejected: load it again with\n  dagster asset materialize -m pipelines.definitions"
        f" --select key:raw/{source} --partition {fetch_date}\n"
        if status == "rejected"
        else "\n"
    )
    out(
        f"{source} {fetch_date}: {num_records} records accepted.{again}"
        "Publish again: scripts/refresh (or the publish_job).\n"
    )
    return 0


def recover_orphans() -> int:
    """Fail the CLI runs a killed refresh left behind, and give back their pool slots.

    ``scripts/refresh`` calls this while it holds its lock, so no other refresh of this
    instance is running: a run of its own kind (``__ASSET_JOB``, launched by the CLI) still
    marked started is an orphan whose process is gone. Left alone it would hold the
    ``warehouse`` pool's only slot, and every later run would wait for it forever. Runs the
    daemon launched (the named jobs) are left to the daemon.
    """
    with dg.DagsterInstance.get() as instance:
        stuck = instance.get_runs(
            filters=dg.RunsFilter(
                job_name="__ASSET_JOB",
                statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING],
            )
        )
        for run in stuck:
            instance.report_run_failed(run, "its process ended without finishing (killed?)")
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
            # On stderr: `prepare` prints the range on stdout for the refresh script to read.
            sys.stderr.write(f"recovered run {run.run_id}: marked failed, its pool slots freed\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.cli",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help_: str, doc) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_, description=(doc.__doc__ or help_).strip())

    command(
        "prepare",
        "before a refresh: recover orphans, register the archive's fetch dates, print FIRST...LAST",
        prepare,
    )
    command("partition-range", "print the registered fetch dates as FIRST...LAST", partition_range)
    command("summary", "print what the last refresh produced and where", summary)
    command(
        "recover-orphans",
        "fail the CLI runs a killed refresh left started, and free their pool slots",
        recover_orphans,
    )
    p = command("checks", "print the newest result of every asset check", checks)
    p.add_argument("-v", "--verbose", action="store_true", help="show failed checks' metadata")
    for name, help_ in (
        ("reject-slice", "take one bad fetch of a source out of the warehouse"),
        ("accept-slice", "vouch for one fetch a check flagged (or bring back a rejected one)"),
    ):
        p = command(name, help_, reject_slice if name == "reject-slice" else accept_slice)
        p.add_argument("source", help="source name, e.g. openrouter")
        p.add_argument("fetch_date", help="fetch date, yyyy-mm-dd")
        p.add_argument("--reason", required=True, help="why; stored with the decision")
    args = parser.parse_args(argv)
    if args.command == "prepare":
        return prepare()
    if args.command == "partition-range":
        return partition_range()
    if args.command == "summary":
        return summary()
    if args.command == "checks":
        return checks(args.verbose)
    if args.command == "recover-orphans":
        return recover_orphans()
    dt.date.fromisoformat(args.fetch_date)
    if args.command == "reject-slice":
        return reject_slice(args.source, args.fetch_date, args.reason)
    return accept_slice(args.source, args.fetch_date, args.reason)


if __name__ == "__main__":
    raise SystemExit(main())
