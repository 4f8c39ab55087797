"""The code location: it loads, and holds the jobs, schedule, sensors, partitions, freshness
policies and pools the operating docs describe. Ends with the CLI's own validation."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import warnings
from pathlib import Path

import dagster as dg
import pytest

from assets import checks, ingest
from assets.normalize import MAX_AGE_DAYS
from modelcompare.archive import Archive
from modelcompare.sources import SOURCES
from pipelines.definitions import defs

warnings.filterwarnings("ignore", category=dg.BetaWarning)

REPO = Path(__file__).resolve().parent.parent
SOURCE_KEYS = {dg.AssetKey(["raw", s.name]) for s in SOURCES}


def test_definitions_load():
    dg.Definitions.validate_loadable(defs)
    keys = set(defs.resolve_asset_graph().get_all_asset_keys())
    assert keys == SOURCE_KEYS | {
        dg.AssetKey(k)
        for k in (
            ["raw", "archive_index"],
            ["core", "identity"],
            ["core", "facts"],
            ["compare", "pair_facts"],
            ["publish", "release"],
        )
    }


def test_jobs_split_ingest_from_publish():
    def selected(name: str) -> set[dg.AssetKey]:
        return set(defs.resolve_job_def(name).asset_layer.executable_asset_keys)

    assert selected("archive_job") == {dg.AssetKey(["raw", "archive_index"])}
    assert selected("ingest_job") == SOURCE_KEYS
    assert {k.to_user_string() for k in selected("publish_job")} == {
        "core/identity",
        "core/facts",
        "compare/pair_facts",
        "publish/release",
    }
    # The publish job runs every check on what it builds, so a blocking one can stop it.
    job_graph = defs.resolve_job_def("publish_job").asset_layer.asset_graph
    check_names = {k.name for k in job_graph.asset_check_keys}
    assert {"source_record_counts", "facts_plausible", "pair_percentages_sane"} <= check_names


def test_nightly_schedule_starts_the_archive_job():
    schedule = defs.resolve_schedule_def("nightly_refresh")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("30 2 * * *", "UTC")
    assert schedule.job_name == "archive_job"
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    context = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(2026, 5, 2, 2, 30, tzinfo=dt.UTC)
    )
    (request,) = list(schedule.evaluate_tick(context).run_requests)
    assert request.run_key == "nightly-2026-05-02"


def test_sensors_chain_archive_ingest_and_publish():
    expected = {
        "ingest_after_archive": ("archive_job", dg.DagsterRunStatus.SUCCESS, "ingest_job"),
        "publish_after_ingest_success": ("ingest_job", dg.DagsterRunStatus.SUCCESS, "publish_job"),
        "publish_after_ingest_failure": ("ingest_job", dg.DagsterRunStatus.FAILURE, "publish_job"),
    }
    for name, (watched, status, requested) in expected.items():
        sensor = defs.resolve_sensor_def(name)
        assert [j.name for j in sensor._monitored_jobs] == [watched]
        assert sensor._run_status == status
        assert sensor.job_name == requested
        assert sensor.default_status == dg.DefaultSensorStatus.STOPPED


def test_after_the_archive_job_the_newest_fetch_date_is_ingested():
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("archive_job").execute_in_process(instance=instance)
        assert result.success
        dates = Archive(REPO / "replay").fetch_dates()
        assert instance.get_dynamic_partitions("fetch_dates") == dates
        context = dg.build_run_status_sensor_context(
            sensor_name="ingest_after_archive",
            dagster_event=result.get_run_success_event(),
            dagster_instance=instance,
            dagster_run=result.dagster_run,
        )
        request = defs.resolve_sensor_def("ingest_after_archive")(context)
        assert request.partition_key == dates[-1]
        assert request.run_key == f"ingest-{dates[-1]}-{result.run_id}"
        publish = defs.resolve_sensor_def("publish_after_ingest_failure")(context)
        assert publish.run_key == f"publish-after-{result.run_id}"


def test_runs_of_a_backfill_do_not_each_publish():
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("archive_job").execute_in_process(
            instance=instance, tags={"dagster/backfill": "abcdefgh"}
        )
        context = dg.build_run_status_sensor_context(
            sensor_name="publish_after_ingest_success",
            dagster_event=result.get_run_success_event(),
            dagster_instance=instance,
            dagster_run=result.dagster_run,
        )
        skipped = defs.resolve_sensor_def("publish_after_ingest_success")(context)
        assert isinstance(skipped, dg.SkipReason)
        assert "backfill abcdefgh" in skipped.skip_message


@pytest.mark.parametrize("spec", SOURCES, ids=[s.name for s in SOURCES])
def test_each_source_is_partitioned_by_fetch_and_has_a_freshness_policy(spec):
    node = defs.resolve_asset_graph().get(dg.AssetKey(["raw", spec.name]))
    assert node.partitions_def == ingest.FETCH_DATES
    assert node.backfill_policy == dg.BackfillPolicy.single_run()
    policy = node.freshness_policy
    assert isinstance(policy, dg.FreshnessPolicy)
    # Fails at the age at which the exports call the source stale; warns a little after one
    # refresh period.
    assert policy.fail_window.to_timedelta() == dt.timedelta(days=MAX_AGE_DAYS[spec.refresh])
    warn = {"daily": dt.timedelta(hours=26), "weekly": dt.timedelta(days=7, hours=2)}
    assert policy.warn_window.to_timedelta() == warn[spec.refresh]


def test_everything_that_opens_the_warehouse_is_in_one_pool():
    for asset in defs.assets:
        assert asset.op.pool == "warehouse", asset.key
    for check in checks.all_checks:
        assert check.op.pool == "warehouse", check.check_keys
    source = next(a for a in ingest.source_assets if a.key == dg.AssetKey(["raw", "openrouter"]))
    assert [s.name for s in source.check_specs] == [checks.RECORD_DROP_CHECK]


def test_dagster_cli_validates_the_workspace(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "PYTHONPATH": str(REPO),
        "DAGSTER_DG_UPDATE_CHECK_ENABLED": "0",
    }
    dagster = str(Path(sys.executable).parent / "dagster")
    done = subprocess.run(
        [dagster, "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Validation successful for code location pipelines" in done.stdout + done.stderr
