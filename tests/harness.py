"""Runs the pipeline's own stages on a small archive, without Dagster, for the SQL-level tests.

The stages are the functions the Dagster assets call (parsers, ``warehouse.replace_slice``,
``assets.normalize.build_identity`` / ``build_facts``, ``assets.compare.build_pair_facts``), so a
case archive goes through the same code as a nightly run; only the orchestration is skipped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import tarfile
from pathlib import Path

import duckdb
import yaml

from assets.compare import build_pair_facts, load_comparison_settings
from assets.normalize import build_facts, build_identity
from modelcompare import warehouse
from modelcompare.archive import Archive, ArchivedResponse
from modelcompare.parsers.models_dev import parse_archive
from modelcompare.sources import SOURCES

CASES = Path(__file__).resolve().parent / "cases"
# A case file names its source the way people do; the archive uses the source's asset name.
CASE_SOURCES = {
    "litellm": "litellm",
    "models.dev": "models_dev",
    "openrouter": "openrouter",
    "pricing-page": "page_openai",
    "genai-prices": "genai_prices_legacy",
    "llm-prices": "llm_prices",
}


def load_case(case_id: str) -> dict:
    (path,) = CASES.glob(f"{case_id}-*.yaml")
    return yaml.safe_load(path.read_text())


def case_archive(
    case_id: str, root: Path, default_fetched_at: str = "2026-08-01T02:00:00Z"
) -> Archive:
    """The case's responses as if fetched from their URLs, in an archive of their own."""
    archive = Archive(root)
    for response in load_case(case_id)["responses"]:
        fetched_at = dt.datetime.fromisoformat(response.get("fetched_at", default_fetched_at))
        archive.put(
            ArchivedResponse.from_bytes(
                CASE_SOURCES[response["source"]],
                response["url"],
                response["body"].encode(),
                fetched_at,
                content_type=response.get("content_type"),
            )
        )
    return archive


def run_pipeline(
    archive: Archive,
    db_path: Path,
    *,
    as_of: dt.date | None = None,
    settings: dict | None = None,
) -> duckdb.DuckDBPyConnection:
    """Load every fetch of every source in the archive, then normalize and compare."""
    con = warehouse.connect(db_path)
    for source in archive.sources():
        for fetch_date in archive.fetch_dates(source):
            responses = [archive.load(m) for m in archive.responses(source, fetch_date)]
            load_responses(con, source, fetch_date, responses)
    return finish(con, as_of=as_of, settings=settings)


def load_responses(con, source: str, fetch_date: str, responses: list[ArchivedResponse]) -> None:
    """Parse one fetch of one source and swap it into the raw tables."""
    parser = {spec.name: spec for spec in SOURCES}[source].load_parser()
    parsed, records = [], 0
    for response in responses:
        # The cases quote single models.dev files; the real source is their tarball.
        single_toml = source == "models_dev" and response.url.endswith(".toml")
        result = (parse_models_dev_toml if single_toml else parser)(response)
        records += result.num_records
        parsed.append((response, result.observations, result.issues))
    warehouse.replace_slice(con, source, fetch_date, parsed, num_records=records)


def finish(con, *, as_of: dt.date | None = None, settings: dict | None = None):
    """Normalize and compare what is loaded, judged at ``as_of`` (default: the newest fetch)."""
    if as_of is None:
        as_of = con.execute("select max(fetch_date) from raw.source_loads").fetchone()[0]
    build_identity(con)
    build_facts(con, as_of)
    build_pair_facts(con, settings or load_comparison_settings())
    return con


def parse_models_dev_toml(response: ArchivedResponse):
    """Wrap one models.dev TOML file in the tarball layout the real parser reads."""
    marker = "/providers/"
    path = response.url[response.url.index(marker) + 1 :]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo(f"models.dev-dev/{path}")
        info.size = len(response.body)
        tar.addfile(info, io.BytesIO(response.body))
        provider = path.split("/")[1]
        toml = f'name = "{provider}"\n'.encode()
        info = tarfile.TarInfo(f"models.dev-dev/providers/{provider}/provider.toml")
        info.size = len(toml)
        tar.addfile(info, io.BytesIO(toml))
    wrapped = dataclasses.replace(response, body=buffer.getvalue())
    return parse_archive(wrapped)


def rows(con: duckdb.DuckDBPyConnection, sql: str, params=None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
