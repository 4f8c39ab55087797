"""Ingest: one asset per source, partitioned by fetch date, from the archive into raw tables.

Grain of every source asset: one row per (response, observation) in ``raw.observations``,
replaced slice by slice (source, fetch_date). Partitions are the fetch dates the archive really
holds (dynamic partitions registered by ``archive_index``), so a backfill over a range re-parses
those fetches with today's parsers and equals a fresh run; loading a slice twice leaves the
same rows.

A source that fails to fetch or parse records the failure, keeps its last good slice untouched
and fails only its own asset; downstream assets still run and publish that source as failing.
A source that loads but looks wrong (far fewer records than its previous fetch) is loaded and
then stopped by a blocking check before the release (see ``assets/checks.py``).
"""

import datetime as dt
import time

import dagster as dg

from assets import checks
from assets.normalize import MAX_AGE_DAYS
from modelcompare import warehouse
from modelcompare.archive import Archive
from modelcompare.observations import SourceLayoutError
from modelcompare.sources import SOURCES, SourceSpec
from pipelines.resources import HttpResource, WarehouseResource

FETCH_DATES = dg.DynamicPartitionsDefinition(name="fetch_dates")
_SINGLE_RUN = dg.BackfillPolicy.single_run()
# Progress lines in a long backfill: one every this many loaded fetches, or this many seconds.
PROGRESS_EVERY_LOADS = 20
PROGRESS_EVERY_SECONDS = 15.0
# How late a source may be before the UI warns: its refresh period plus a couple of hours of
# slack for a slow night. It fails at the same age at which the exports call it stale
# (MAX_AGE_DAYS, used by sql/build_source_status.sql), so the UI and the exports agree.
_WARN_AFTER = {
    "daily": dt.timedelta(hours=26),
    "weekly": dt.timedelta(days=7, hours=2),
    "monthly": dt.timedelta(days=31),
}


def freshness_policy(spec: SourceSpec) -> dg.FreshnessPolicy:
    """The source's freshness in the UI: judged on when its asset last materialized."""
    return dg.FreshnessPolicy.time_window(
        fail_window=dt.timedelta(days=MAX_AGE_DAYS[spec.refresh]),
        warn_window=_WARN_AFTER[spec.refresh],
    )


def register_fetch_dates(instance: dg.DagsterInstance, http: HttpResource):
    """Register every fetch date the archive holds (and, in live and record mode, today) as a
    partition of the sources; returns (all dates, the newly registered ones). Used by
    ``archive_index`` and by ``scripts/refresh`` before its range run (the dates of a range
    must exist before the run is created)."""
    dates = http.archive().fetch_dates()
    if http.mode != "replay":
        dates = sorted({*dates, dt.datetime.now(dt.UTC).date().isoformat()})
    known = set(instance.get_dynamic_partitions(FETCH_DATES.name))
    new = [d for d in dates if d not in known]
    if new:
        instance.add_dynamic_partitions(FETCH_DATES.name, new)
    return dates, new


@dg.asset(
    key=["raw", "archive_index"],
    group_name="ingest",
    backfill_policy=_SINGLE_RUN,
    pool="warehouse",
    kinds={"duckdb"},
)
def archive_index(context: dg.AssetExecutionContext, http: HttpResource) -> dg.MaterializeResult:
    """One partition per fetch date the archive holds. Registers new dates for the sources.

    In live and record mode today's date is registered too, so the nightly run fetches it.
    """
    archive: Archive = http.archive()
    dates, new = register_fetch_dates(context.instance, http)
    per_source = {s: archive.fetch_dates(s) for s in archive.sources()}
    context.log.info("Archive %s holds %d fetch dates (%d new)", archive.root, len(dates), len(new))
    preview = "\n".join(
        f"| {s} | {len(d)} | {d[0]} | {d[-1]} |" for s, d in sorted(per_source.items()) if d
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(dates),
            "archive": str(archive.root),
            "mode": http.mode,
            "num_fetch_dates": len(dates),
            "num_new_fetch_dates": len(new),
            "first_fetch_date": dates[0] if dates else "",
            "last_fetch_date": dates[-1] if dates else "",
            "new_fetch_dates": dg.MetadataValue.json(new[-20:]),
            "fetch_dates_per_source": dg.MetadataValue.md(
                "| source | fetch dates | first | last |\n|---|---|---|---|\n" + preview
            ),
        }
    )


def _load_fetch(context, spec: SourceSpec, fetch_date: str, http, con, verbose: bool):
    """Parse and load one fetch date of one source; None when nothing is archived for it.

    Raises with a clear message when the fetch or its parse fails; the slice is then untouched.
    """
    started = time.monotonic()
    responses = http.responses_for(spec, fetch_date, log=context.log)
    if not responses:
        return None

    parser = spec.load_parser()
    parsed, num_records = [], 0
    for response in responses:
        if response.status not in (200, 304):
            raise SourceLayoutError(f"{spec.name}: {response.url} answered HTTP {response.status}")
        result = parser(response)
        num_records += result.num_records
        parsed.append((response, result.observations, result.issues))
        # One line per response is useful for a night's run, noise in a 60-night backfill.
        (context.log.info if verbose else context.log.debug)(
            "%s: parsed %d observations from %s (%d records, %d issues)",
            spec.name, len(result.observations), response.url, result.num_records,
            len(result.issues),
        )  # fmt: skip

    if num_records < spec.min_records:
        raise SourceLayoutError(
            f"{spec.name}: {num_records} records on {fetch_date}, fewer than the {spec.min_records} "
            "this source always has; its layout probably changed"
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


def _preview(con, source: str, fetch_date: str, limit: int = 8) -> str:
    cursor = con.execute(
        "select raw_id, provider, attribute, value, unit from raw.observations"
        " where source = ? and fetch_date = ?"
        " order by raw_id, provider, attribute, tier_min_tokens limit ?",
        [source, fetch_date, limit],
    )
    rows = cursor.fetchall()
    lines = ["| raw id | provider | attribute | value | unit |", "|---|---|---|---|---|"]
    lines += ["| " + " | ".join("" if v is None else str(v)[:50] for v in r) + " |" for r in rows]
    return "\n".join(lines)


def build_source_asset(spec: SourceSpec) -> dg.AssetsDefinition:
    key = dg.AssetKey(["raw", spec.name])

    @dg.asset(
        key=key,
        group_name="ingest",
        partitions_def=FETCH_DATES,
        backfill_policy=_SINGLE_RUN,
        deps=[archive_index],
        pool="warehouse",
        kinds={"duckdb"},
        freshness_policy=freshness_policy(spec),
        check_specs=[
            dg.AssetCheckSpec(
                checks.RECORD_DROP_CHECK,
                asset=key,
                description=checks.RECORD_DROP_DESCRIPTION
                + " Shown here on the source; the same test on core/identity blocks the release.",
            )
        ],
        description=(
            f"{spec.title}. One row per observation per fetch in raw.observations "
            f"(source = '{spec.name}'). Refreshed {spec.refresh}. Live URLs: "
            f"{', '.join(spec.urls[:3])}{' …' if len(spec.urls) > 3 else ''}."
            + (" Bundled responses are made fixtures, not recordings." if spec.made_fixture else "")
        ),
        metadata={"source": spec.name, "refresh": spec.refresh, "num_urls": len(spec.urls)},
    )
    def _source_asset(
        context: dg.AssetExecutionContext, http: HttpResource, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        keys = sorted(context.partition_keys)
        verbose = len(keys) <= 3
        loads, failures, empty = [], [], 0
        started = last_progress = time.monotonic()
        with warehouse.connect() as con:
            rejected = _rejected_dates(con, spec.name)
            for done, fetch_date in enumerate(keys, start=1):
                if fetch_date in rejected:
                    context.log.warning(
                        "%s %s: skipped; an operator rejected this fetch (%s). "
                        "python -m pipelines.cli accept-slice loads it again.",
                        spec.name, fetch_date, rejected[fetch_date],
                    )  # fmt: skip
                    continue
                try:
                    summary = _load_fetch(context, spec, fetch_date, http, con, verbose)
                except Exception as exc:  # noqa: BLE001 - every failure is recorded, then reported
                    message = str(exc) or type(exc).__name__
                    _record_failure(con, spec.name, fetch_date, message)
                    context.log.error("%s failed on %s: %s", spec.name, fetch_date, message)
                    failures.append((fetch_date, message))
                    continue
                if summary is None:
                    empty += 1
                else:
                    loads.append(summary)
                now = time.monotonic()
                if done < len(keys) and (
                    (summary and len(loads) % PROGRESS_EVERY_LOADS == 0)
                    or now - last_progress > PROGRESS_EVERY_SECONDS
                ):
                    context.log.info(
                        "%s: %d/%d fetch dates done, %d loaded, %d observations, %.0f s",
                        spec.name, done, len(keys), len(loads),
                        sum(s["observations"] for s in loads), now - started,
                    )  # fmt: skip
                    last_progress = now

            total = sum(s["observations"] for s in loads)
            context.log.info(
                "%s: loaded %d of %d selected fetch dates (%d observations); nothing archived "
                "for the other %d%s",
                spec.name, len(loads), len(keys), total, empty,
                f"; {len(failures)} failed" if failures else "",
            )  # fmt: skip
            if failures:
                dates = ", ".join(d for d, _ in failures)
                raise dg.Failure(
                    description=f"{spec.name} failed on {dates}: {failures[-1][1]}. "
                    "Its last good data is kept and published as failing.",
                    metadata={
                        "source": spec.name,
                        "failed_fetch_dates": dg.MetadataValue.json([d for d, _ in failures]),
                        "reasons": dg.MetadataValue.json(dict(failures)),
                        "num_loaded": len(loads),
                    },
                )
            check = checks.record_drop_result(con, source=spec.name, asset_key=key)
            preview = _preview(con, spec.name, loads[-1]["fetch_date"]) if loads else ""

        rows = "\n".join(
            f"| {s['fetch_date']} | {s['responses']} | {s['records']} | {s['observations']} "
            f"| {s['issues']} | {s['fetched_at'][-1]} |"
            for s in loads[-10:]
        )
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": total,
                "num_fetches": len(loads),
                "num_records": sum(s["records"] for s in loads),
                "num_parse_issues": sum(s["issues"] for s in loads),
                "num_selected_fetch_dates_without_responses": empty,
                "urls": dg.MetadataValue.json(sorted({u for s in loads for u in s["urls"]})[:50]),
                "fetched_at": dg.MetadataValue.json(
                    [t for s in loads for t in s["fetched_at"]][-20:]
                ),
                "loads": dg.MetadataValue.md(
                    "| fetch date | responses | records | observations | issues | fetched at |\n"
                    "|---|---|---|---|---|---|\n" + rows
                ),
                "preview": dg.MetadataValue.md(preview),
            },
            check_results=[check],
        )

    return _source_asset


def _rejected_dates(con, source: str) -> dict[str, str]:
    """Fetch dates whose newest load row says an operator rejected them, with the reason.

    A rejected slice stays out of every later run (a full refresh too) until it is accepted.
    """
    rows = con.execute(
        "select fetch_date, arg_max(status, loaded_at), arg_max(error, loaded_at)"
        " from raw.source_loads where source = ? group by all",
        [source],
    ).fetchall()
    return {d.isoformat(): error or "" for d, status, error in rows if status == "rejected"}


def _record_failure(con, source: str, fetch_date: str, message: str) -> None:
    try:
        warehouse.record_load(con, source, fetch_date, "failed", 0, 0, 0, message[:2000])
    except Exception:  # noqa: BLE001 - recording must never hide the original error
        pass


source_assets = [build_source_asset(spec) for spec in SOURCES]
