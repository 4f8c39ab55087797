"""Ingest: one asset per source, partitioned by fetch date, from the archive into raw tables.

Grain of every source asset: one row per (response, observation) in ``raw.observations``,
replaced slice by slice (source, fetch_date). Partitions are the fetch dates the archive really
holds (dynamic partitions registered by ``archive_index``), so a backfill over a range re-parses
those fetches with today's parsers and equals a fresh run.

A source that fails (fetch error, a changed layout, far fewer records than last time) records
the failure, keeps its last good slice untouched and fails only its own asset; downstream
assets still run and publish that source as stale.
"""

import time

import dagster as dg

from modelcompare import warehouse
from modelcompare.archive import Archive
from modelcompare.observations import SourceLayoutError
from modelcompare.sources import SOURCES, SourceSpec
from pipelines.resources import HttpResource, WarehouseResource

FETCH_DATES = dg.DynamicPartitionsDefinition(name="fetch_dates")
# A source whose record count falls below this share of its previous good fetch has most
# likely changed its layout; its new slice is refused.
MIN_RECORD_SHARE = 0.5
_SINGLE_RUN = dg.BackfillPolicy.single_run()


@dg.asset(
    key=["raw", "archive_index"],
    group_name="ingest",
    backfill_policy=_SINGLE_RUN,
    pool="warehouse",
    kinds={"duckdb"},
)
def archive_index(context: dg.AssetExecutionContext, http: HttpResource) -> dg.MaterializeResult:
    """One row per archived response. Registers each fetch date as a partition of the sources.

    In live and record mode today's date is registered too, so the nightly run fetches it.
    """
    archive: Archive = http.archive()
    dates = archive.fetch_dates()
    if http.mode != "replay":
        import datetime as dt

        dates = sorted({*dates, dt.datetime.now(dt.UTC).date().isoformat()})
    known = set(context.instance.get_dynamic_partitions(FETCH_DATES.name))
    new = [d for d in dates if d not in known]
    if new:
        context.instance.add_dynamic_partitions(FETCH_DATES.name, new)
    counts = {s: len(archive.fetch_dates(s)) for s in archive.sources()}
    context.log.info("Archive %s holds %d fetch dates (%d new)", archive.root, len(dates), len(new))
    preview = "\n".join(f"| {s} | {n} |" for s, n in sorted(counts.items()))
    return dg.MaterializeResult(
        metadata={
            "archive": str(archive.root),
            "mode": http.mode,
            "num_fetch_dates": len(dates),
            "first_fetch_date": dates[0] if dates else "",
            "last_fetch_date": dates[-1] if dates else "",
            "fetch_dates_per_source": dg.MetadataValue.md(
                "| source | fetch dates |\n|---|---|\n" + preview
            ),
        }
    )


def _previous_records(con, source: str, fetch_date: str) -> int | None:
    row = con.execute(
        "select num_records from raw.source_loads where source = ? and status = 'ok'"
        " and fetch_date < ? order by fetch_date desc, loaded_at desc limit 1",
        [source, fetch_date],
    ).fetchone()
    return row[0] if row else None


def _load_fetch(context, spec: SourceSpec, fetch_date: str, http, con) -> dict | None:
    """Parse and load one fetch date of one source. Raises with a clear message on failure."""
    started = time.monotonic()
    responses = http.responses_for(spec, fetch_date, log=context.log)
    if not responses:
        context.log.info("%s: nothing archived for %s", spec.name, fetch_date)
        return None

    parser = spec.load_parser()
    parsed, num_records = [], 0
    for response in responses:
        if response.status not in (200, 304):
            raise SourceLayoutError(f"{spec.name}: {response.url} answered HTTP {response.status}")
        result = parser(response)
        num_records += result.num_records
        parsed.append((response, result.observations, result.issues))
        context.log.info(
            "%s: parsed %d observations from %s (%d records, %d issues)",
            spec.name, len(result.observations), response.url, result.num_records, len(result.issues),
        )  # fmt: skip

    if num_records < spec.min_records:
        raise SourceLayoutError(
            f"{spec.name}: {num_records} records on {fetch_date}, fewer than the {spec.min_records} "
            "this source always has; its layout probably changed"
        )
    previous = _previous_records(con, spec.name, fetch_date)
    if previous and num_records < previous * MIN_RECORD_SHARE:
        raise SourceLayoutError(
            f"{spec.name}: {num_records} records on {fetch_date} against {previous} on its previous "
            f"good fetch (below {MIN_RECORD_SHARE:.0%}); refusing to replace the last good data"
        )

    loaded = warehouse.replace_slice(con, spec.name, fetch_date, parsed, num_records=num_records)
    return {
        "fetch_date": fetch_date,
        "responses": len(responses),
        "records": num_records,
        "observations": loaded,
        "issues": sum(len(p[2]) for p in parsed),
        "urls": [r.url for r in responses],
        "fetched_at": [r.fetched_at.isoformat() for r in responses],
        "seconds": round(time.monotonic() - started, 2),
    }


def build_source_asset(spec: SourceSpec) -> dg.AssetsDefinition:
    @dg.asset(
        name=spec.name,
        key_prefix=["raw"],
        group_name="ingest",
        partitions_def=FETCH_DATES,
        backfill_policy=_SINGLE_RUN,
        deps=[archive_index],
        pool="warehouse",
        kinds={"duckdb"},
        description=(
            f"{spec.title}. One row per observation per fetch in raw.observations "
            f"(source = '{spec.name}'). Live URLs: {', '.join(spec.urls[:3])}"
            f"{' …' if len(spec.urls) > 3 else ''}."
            + (" Bundled responses are made fixtures, not recordings." if spec.made_fixture else "")
        ),
        metadata={"source": spec.name, "refresh": spec.refresh, "num_urls": len(spec.urls)},
    )
    def _source_asset(
        context: dg.AssetExecutionContext, http: HttpResource, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        loads = []
        with warehouse.connect() as con:
            for fetch_date in sorted(context.partition_keys):
                try:
                    summary = _load_fetch(context, spec, fetch_date, http, con)
                except Exception as exc:  # noqa: BLE001 - every failure is recorded, then re-raised
                    message = str(exc) or type(exc).__name__
                    _record_failure(con, spec.name, fetch_date, message)
                    context.log.error("%s failed on %s: %s", spec.name, fetch_date, message)
                    raise dg.Failure(
                        description=f"{spec.name} ({fetch_date}): {message}. "
                        "Its last good data is kept and published as stale.",
                        metadata={"source": spec.name, "fetch_date": fetch_date, "reason": message},
                    ) from exc
                if summary:
                    loads.append(summary)

        total = sum(s["observations"] for s in loads)
        context.log.info("%s: loaded %d fetches, %d observations", spec.name, len(loads), total)
        rows = "\n".join(
            f"| {s['fetch_date']} | {s['responses']} | {s['records']} | {s['observations']} | {s['issues']} |"
            for s in loads[-10:]
        )
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": total,
                "num_fetches": len(loads),
                "num_records": sum(s["records"] for s in loads),
                "num_parse_issues": sum(s["issues"] for s in loads),
                "urls": dg.MetadataValue.json(sorted({u for s in loads for u in s["urls"]})[:50]),
                "fetched_at": dg.MetadataValue.json(
                    [t for s in loads for t in s["fetched_at"]][-20:]
                ),
                "loads": dg.MetadataValue.md(
                    "| fetch date | responses | records | observations | issues |\n|---|---|---|---|---|\n"
                    + rows
                ),
            }
        )

    return _source_asset


def _record_failure(con, source: str, fetch_date: str, message: str) -> None:
    try:
        warehouse.record_load(con, source, fetch_date, "failed", 0, 0, 0, message[:2000])
    except Exception:  # noqa: BLE001 - recording must never hide the original error
        pass


source_assets = [build_source_asset(spec) for spec in SOURCES]
