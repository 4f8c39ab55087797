"""The Dagster code location: assets, checks, jobs, schedules, sensors and resources.

Two jobs split the refresh on purpose: ``ingest_job`` loads each source (a failing source
fails only its own step and keeps its last good data), and ``publish_job`` rebuilds facts,
pair facts and the release from whatever is loaded. The nightly schedule starts the first;
a run-status sensor starts the second when it ends, success or failure, so one bad source
never stops the release, while blocking checks stop bad data from reaching it.

Every asset and check that opens the DuckDB file is in the ``warehouse`` pool; the instance
made by ``scripts/dagster-home`` limits that pool to one step and the run queue to one run,
so runs started together take turns instead of colliding (docs/operations.md, Concurrency).
"""

from __future__ import annotations

import dagster as dg

from assets import checks, compare, ingest, normalize, publish
from pipelines.resources import default_resources

INGEST = dg.AssetSelection.groups("ingest")
PUBLISH = dg.AssetSelection.groups("normalize", "compare", "publish")

ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=INGEST - dg.AssetSelection.assets(ingest.archive_index.key),
    description="Load the sources for one or more fetch dates into raw tables.",
)
publish_job = dg.define_asset_job(
    "publish_job",
    selection=PUBLISH,
    description="Rebuild facts, pair facts and the release from the raw tables.",
)
archive_job = dg.define_asset_job(
    "archive_job",
    selection=dg.AssetSelection.assets(ingest.archive_index.key),
    description="Register the archive's fetch dates as partitions (fetches today's in live mode).",
)


@dg.schedule(
    cron_schedule="30 2 * * *",  # 02:30 UTC, after the sources' own nightly builds
    job=archive_job,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
def nightly_refresh(context: dg.ScheduleEvaluationContext):
    """Nightly: register today's fetch date; the sensors below load it and publish."""
    return dg.RunRequest(run_key=f"nightly-{context.scheduled_execution_time:%Y-%m-%d}")


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[archive_job],
    request_job=ingest_job,
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def ingest_after_archive(context: dg.RunStatusSensorContext):
    """Load the newest fetch date once the archive has registered it."""
    keys = context.instance.get_dynamic_partitions(ingest.FETCH_DATES.name)
    if not keys:
        return dg.SkipReason("no fetch dates registered")
    newest = max(keys)
    return dg.RunRequest(
        run_key=f"ingest-{newest}-{context.dagster_run.run_id}", partition_key=newest
    )


def _publish_after(context: dg.RunStatusSensorContext):
    """Publish after a nightly ingest run. Runs of a backfill are left alone: a backfill over
    sixty nights would otherwise publish sixty times; publish once when it is done."""
    backfill = context.dagster_run.tags.get("dagster/backfill")
    if backfill:
        return dg.SkipReason(
            f"run of backfill {backfill}; launch publish_job once the backfill is done"
        )
    return dg.RunRequest(run_key=f"publish-after-{context.dagster_run.run_id}")


publish_after_ingest_success = dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[ingest_job],
    request_job=publish_job,
    name="publish_after_ingest_success",
    default_status=dg.DefaultSensorStatus.STOPPED,
)(_publish_after)
publish_after_ingest_failure = dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.FAILURE,
    monitored_jobs=[ingest_job],
    request_job=publish_job,
    name="publish_after_ingest_failure",
    default_status=dg.DefaultSensorStatus.STOPPED,
)(_publish_after)

defs = dg.Definitions(
    assets=[
        ingest.archive_index,
        *ingest.source_assets,
        normalize.identity,
        normalize.facts,
        compare.pair_facts,
        publish.release,
    ],
    asset_checks=checks.all_checks,
    jobs=[archive_job, ingest_job, publish_job],
    schedules=[nightly_refresh],
    sensors=[ingest_after_archive, publish_after_ingest_success, publish_after_ingest_failure],
    resources=default_resources(),
    executor=dg.in_process_executor,
)
