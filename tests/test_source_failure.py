"""A source that fails, and a source that loads bad data, on a copy of two real OpenRouter nights.

A fetch that cannot be parsed fails only its own asset: the source keeps its last good data,
is marked failing, and the release goes ahead showing that. A snapshot with half its rows
missing parses fine, so it loads; a blocking check then stops the publish step, names the
source, and the current release stays byte for byte what it was, until an operator rejects
(or accepts) that fetch.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import warnings
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets import checks, compare, ingest, normalize, publish
from modelcompare.archive import Archive, ArchivedResponse
from pipelines import cli
from pipelines.resources import HttpResource, ReleaseResource, WarehouseResource

warnings.filterwarnings("ignore", category=dg.BetaWarning)

REPO = Path(__file__).resolve().parent.parent
OPENROUTER = next(a for a in ingest.source_assets if a.key == dg.AssetKey(["raw", "openrouter"]))
GOOD_NIGHTS = ("2026-04-30", "2026-05-01")
BAD_NIGHT = "2026-05-02"
PUBLISH = [normalize.identity, normalize.facts, compare.pair_facts, publish.release]
LLAMA_VISION = "llama-3.2-11b-vision-instruct"


class Site:
    """A throwaway deployment: its own archive, warehouse, exports and Dagster instance."""

    def __init__(self, root: Path, instance: dg.DagsterInstance):
        self.root = root
        self.instance = instance
        self.archive = Archive(root / "archive")
        self.db = root / "warehouse.duckdb"
        self.exports = root / "exports"

    def bring_two_nights(self) -> None:
        bundled = Archive(REPO / "replay")
        for night in GOOD_NIGHTS:
            for response in bundled.responses("openrouter", night):
                self.archive.put(bundled.load(response))

    def resources(self) -> dict:
        return {
            "http": HttpResource(mode="replay", replay_dir=str(self.archive.root)),
            "warehouse": WarehouseResource(path=str(self.db)),
            "release": ReleaseResource(export_dir=str(self.exports)),
        }

    def ingest(self, first: str, last: str | None = None) -> dg.ExecuteInProcessResult:
        assert dg.materialize(
            [ingest.archive_index], instance=self.instance, resources=self.resources()
        ).success
        return dg.materialize(
            [OPENROUTER],
            instance=self.instance,
            resources=self.resources(),
            tags={
                "dagster/asset_partition_range_start": first,
                "dagster/asset_partition_range_end": last or first,
            },
            raise_on_error=False,
        )

    def publish(self) -> dg.ExecuteInProcessResult:
        """The publish job: normalize, compare and release, with every check on them."""
        return dg.materialize(
            [*PUBLISH, *checks.all_checks],
            instance=self.instance,
            resources=self.resources(),
            raise_on_error=False,
        )

    def release_files(self) -> tuple[str, dict[str, str]]:
        """Where ``current`` points, and the SHA-256 of every file of that release."""
        current = self.exports / "current"
        target = current.resolve()
        files = {
            str(p.relative_to(target)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(target.rglob("*"))
            if p.is_file()
        }
        return os.readlink(current), files

    def catalog(self) -> dict:
        return json.loads((self.exports / "current" / "v1" / "catalog.json").read_text())

    def rows(self, sql: str, params=None) -> list[tuple]:
        with duckdb.connect(str(self.db), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def put_night(self, night: str, body: bytes, status: int = 200) -> None:
        """One more OpenRouter response, fetched at 03:00 UTC on ``night``."""
        self.archive.put(
            ArchivedResponse.from_bytes(
                "openrouter",
                "https://openrouter.ai/api/v1/models",
                body,
                dt.datetime.fromisoformat(f"{night}T03:00:00+00:00"),
                status=status,
                content_type="application/json",
            )
        )

    def last_good_body(self) -> dict:
        (response,) = self.archive.responses("openrouter", GOOD_NIGHTS[-1])
        return json.loads(self.archive.load(response).body)


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """Two good nights loaded and published once; each test works on a copy."""
    root = tmp_path_factory.mktemp("published")
    deployment = Site(root, dg.DagsterInstance.ephemeral())
    deployment.bring_two_nights()
    assert deployment.ingest(*GOOD_NIGHTS).success
    result = deployment.publish()
    assert result.success, [e.check_name for e in result.get_asset_check_evaluations()]
    return root


@pytest.fixture
def site(published, tmp_path, monkeypatch):
    """A copy of the published deployment, its own Dagster instance, the CLI pointed at it."""
    root = tmp_path / "site"
    shutil.copytree(published, root, symlinks=True)
    monkeypatch.setenv("MODELCOMPARE_DUCKDB", str(root / "warehouse.duckdb"))
    monkeypatch.setenv("MODELCOMPARE_EXPORT_DIR", str(root / "exports"))
    monkeypatch.setenv("MODELCOMPARE_REPLAY_DIR", str(root / "archive"))
    (tmp_path / "dagster").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
        yield Site(root, instance)


def _evaluation(result, name: str):
    (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    return evaluation


def test_half_the_rows_missing_blocks_the_release_and_names_the_source(site, capsys):
    link, files = site.release_files()
    assert len(files) > 300 and "v1/catalog.json" in files
    body = site.last_good_body()
    listed = len(body["data"])
    assert listed == 371  # OpenRouter's list on the night of 2026-05-01
    body["data"] = body["data"][: listed // 2]
    site.put_night(BAD_NIGHT, json.dumps(body).encode())

    # The half snapshot parses, so it loads; the source's own check already flags it.
    loaded = site.ingest(BAD_NIGHT)
    assert loaded.success
    own = _evaluation(loaded, checks.RECORD_DROP_CHECK)
    assert not own.passed
    assert own.metadata["sources"].value == ["openrouter"]

    result = site.publish()
    assert not result.success
    blocked = _evaluation(result, "source_record_counts")
    assert not blocked.passed
    assert blocked.metadata["sources"].value == ["openrouter"]
    assert f"| openrouter | {BAD_NIGHT} | 185 | 2026-05-01 | 371 | 50% | no |" in (
        blocked.metadata["offending"].value
    )
    assert (
        blocked.description
        == "openrouter: records fell by more than 20% against the previous fetch"
    )
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert publish.release.key not in materialized
    assert normalize.facts.key not in materialized
    # The last release is untouched, byte for byte.
    assert site.release_files() == (link, files)

    # The CLI tells an operator the same, from the Dagster instance.
    assert cli.main(["checks"]) == 1
    out = capsys.readouterr().out
    assert "FAIL core/identity" in out and "source_record_counts" in out
    assert "openrouter: records fell by more than 20%" in out


def test_rejecting_the_bad_fetch_publishes_the_last_good_data_marked_failing(site, capsys):
    body = site.last_good_body()
    body["data"] = body["data"][: len(body["data"]) // 2]
    site.put_night(BAD_NIGHT, json.dumps(body).encode())
    assert site.ingest(BAD_NIGHT).success
    assert not site.publish().success
    link, files = site.release_files()

    reason = "half the list is missing upstream"
    assert cli.main(["reject-slice", "openrouter", BAD_NIGHT, "--reason", reason]) == 0
    assert "marked rejected" in capsys.readouterr().out
    assert site.rows("select count(*) from raw.observations where fetch_date = ?", [BAD_NIGHT]) == [
        (0,)
    ]
    # Later runs skip the rejected fetch, a full range too.
    again = site.ingest(GOOD_NIGHTS[0], BAD_NIGHT)
    assert again.success
    assert site.rows(
        "select count(*) from raw.source_loads where fetch_date = ? and status = 'ok'",
        [BAD_NIGHT],
    ) == [(0,)]

    result = site.publish()
    assert result.success
    assert _evaluation(result, "source_record_counts").passed
    assert site.release_files()[0] != link
    (status,) = [s for s in site.catalog()["sources"] if s["source"] == "openrouter"]
    assert status["freshness"] == "failing"
    assert status["last_good_fetch_date"] == "2026-05-01"
    assert status["last_error"].endswith(reason)
    # The published facts are those of the last good night.
    assert (
        site.rows(
            "select count(distinct raw_id) from core.typed_observations where source = 'openrouter'"
            " and fetch_date = '2026-05-01'"
        )[0][0]
        >= 371 - 5
    )


def test_accepting_a_real_fall_publishes_it(site, capsys):
    body = site.last_good_body()
    kept = body["data"][: len(body["data"]) // 2]
    gone = body["data"][len(body["data"]) // 2 :]
    body["data"] = kept
    site.put_night(BAD_NIGHT, json.dumps(body).encode())
    assert site.ingest(BAD_NIGHT).success
    assert not site.publish().success

    assert cli.main(["accept-slice", "openrouter", BAD_NIGHT, "--reason", "a real clean-up"]) == 0
    assert "185 records accepted" in capsys.readouterr().out
    result = site.publish()
    assert result.success
    assert _evaluation(result, "source_record_counts").metadata["num_accepted_falls"].value == 1
    (status,) = [s for s in site.catalog()["sources"] if s["source"] == "openrouter"]
    assert (status["freshness"], status["last_good_fetch_date"]) == ("fresh", BAD_NIGHT)
    # What left is marked so, with the night it was last seen; the warning says so too.
    listed_now = dict(
        site.rows(
            "select raw_id, bool_or(listed_now) from (select unnest(raw_ids) as raw_id,"
            " listed_now from core.offerings where provider_id = 'openrouter') group by all"
        )
    )
    assert sum(not listed_now.get(m["id"], True) for m in gone) >= len(gone) - 5
    disappeared = _evaluation(result, "offerings_disappeared")
    assert not disappeared.passed
    assert disappeared.description.startswith("openrouter: ")
    assert disappeared.description.endswith(f"offerings gone on {BAD_NIGHT}")


def test_a_fetch_that_cannot_be_parsed_keeps_the_last_good_data_and_the_release_goes_ahead(site):
    link, _ = site.release_files()
    before = site.rows(
        "select count(*), sum(hash(obs_id)) from raw.observations where source = 'openrouter'"
    )
    site.put_night(BAD_NIGHT, b'{"data": [{"id": "openai/gpt-5", "pricing": {"prompt": ')

    failed = site.ingest(BAD_NIGHT)
    assert not failed.success
    (failure,) = [e for e in failed.all_events if e.is_step_failure]
    message = failure.step_failure_data.error.message
    assert f"openrouter failed on {BAD_NIGHT}" in message
    assert "last good data is kept" in message
    assert (
        site.rows(
            "select count(*), sum(hash(obs_id)) from raw.observations where source = 'openrouter'"
        )
        == before
    )
    assert site.rows("select status from raw.source_loads where fetch_date = ?", [BAD_NIGHT]) == [
        ("failed",)
    ]

    result = site.publish()
    assert result.success
    assert _evaluation(result, "sources_fresh").description.startswith("failing: openrouter")
    assert site.release_files()[0] != link
    (status,) = [s for s in site.catalog()["sources"] if s["source"] == "openrouter"]
    assert status["freshness"] == "failing"
    assert status["last_good_fetch_date"] == "2026-05-01"
    assert status["last_error"]
    # Facts chosen from OpenRouter say their source is failing.
    model = json.loads(
        (site.exports / "current" / "v1" / "models" / f"{LLAMA_VISION}.json").read_text()
    )
    assert [(s["source"], s["freshness"]) for s in model["stale_sources"]] == [
        ("openrouter", "failing")
    ]
