"""Small helpers the README's commands call around the Dagster CLI.

``python -m pipelines.cli partition-range`` prints the registered fetch dates as FIRST...LAST
for ``--partition-range``; ``python -m pipelines.cli summary`` prints what the last refresh
produced and where.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import dagster as dg

from modelcompare import export, warehouse
from pipelines.resources import default_resources


def partition_range() -> int:
    with dg.DagsterInstance.get() as instance:
        keys = instance.get_dynamic_partitions("fetch_dates")
    if not keys:
        sys.stderr.write("no fetch dates registered; run the archive_index asset first\n")
        return 1
    sys.stdout.write(f"{keys[0]}...{keys[-1]}\n")
    return 0


def summary() -> int:
    resources = default_resources()
    db_path = resources["warehouse"].path
    export_dir = Path(resources["release"].export_dir)
    out = sys.stdout.write
    con = warehouse.connect(db_path, read_only=True)
    try:
        figures = con.execute(
            "select (select count(*) from raw.observations), (select count(*) from core.models),"
            " (select count(*) from core.offerings), (select count(*) from core.facts),"
            " (select count(*) from core.conflicts), (select count(*) from core.unmatched_ids),"
            " (select count(*) from compare.pair_facts)"
        ).fetchone()
        status = con.execute(
            "select source, freshness, last_good_fetch_date, age_days, coalesce(last_error, '')"
            " from core.source_status order by source"
        ).fetchall()
    finally:
        con.close()
    names = (
        "observations",
        "models",
        "offerings",
        "facts",
        "conflicts",
        "unmatched ids",
        "pair rows",
    )
    out(f"Warehouse: {db_path}\n")
    for name, value in zip(names, figures, strict=True):
        out(f"  {name:>14}: {value:,}\n")
    out("Sources (freshness judged at the run's as-of date):\n")
    for source, fresh, last_good, age, error in status:
        line = f"  {source:<22} {fresh:<8} last good fetch {last_good}  ({age} days old)"
        out(line + (f"  last error: {error[:120]}" if error else "") + "\n")
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.cli", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("partition-range", help="print the registered fetch dates as FIRST...LAST")
    sub.add_parser("summary", help="print what the last refresh produced and where")
    args = parser.parse_args(argv)
    return {"partition-range": partition_range, "summary": summary}[args.command]()


if __name__ == "__main__":
    raise SystemExit(main())
