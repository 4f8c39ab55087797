"""The DuckDB warehouse: opening it, running the SQL files in ``sql/``, loading parsed slices.

SQL lives in ``sql/`` (one purpose per file). Python here only moves rows and runs files; no SQL
is ever built from scraped strings: values travel as bound parameters or through a JSON file
DuckDB reads with a declared schema.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import operator
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import duckdb

from modelcompare.archive import ArchivedResponse
from modelcompare.observations import Observation, ParseIssue

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"

_OBS_COLUMNS = {
    "obs_id": "varchar",
    "response_id": "varchar",
    "source": "varchar",
    "fetch_date": "date",
    "fetched_at": "timestamptz",
    "raw_id": "varchar",
    "provider": "varchar",
    "subject": "varchar",
    "attribute": "varchar",
    "value": "varchar",
    "unit": "varchar",
    "region": "varchar",
    "variant": "varchar",
    "quantization": "varchar",
    "tier_min_tokens": "bigint",
    "tier_rule": "varchar",
    "qualifier": "varchar",
    "valid_from": "date",
    "valid_to": "date",
    "as_of": "date",
    "locator": "varchar",
    "note": "varchar",
}


def read_sql(name: str) -> str:
    path = SQL_DIR / name
    if path.parent != SQL_DIR:
        raise ValueError(f"not a file in sql/: {name!r}")
    return path.read_text()


def connect(path: str | os.PathLike[str], *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file (created if missing) with the raw tables in place."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    # Spill files go next to the database, never into the current directory.
    if str(path) != ":memory:":
        con.execute("set temp_directory = ?", [str(Path(path).with_suffix(".duckdb.tmp"))])
    con.execute("set preserve_insertion_order = false")
    if not read_only:
        run_sql(con, "create_raw_tables.sql")
        _drop_tables_now_views(con)
    return con


# Objects that older versions stored as tables and sql/ now defines as views over a compact
# table (see sql/build_pair_facts.sql). SQL cannot drop "a table or a view", so a warehouse made
# by an older version loses the old tables here, once; the next compare run makes the views.
_NOW_VIEWS = ("pair_facts", "pair_monthly_costs")


def _drop_tables_now_views(con: duckdb.DuckDBPyConnection) -> None:
    for (name,) in con.execute(
        "select table_name from duckdb_tables() where database_name = current_database()"
        " and schema_name = 'compare' and list_contains(?, table_name)",
        [list(_NOW_VIEWS)],
    ).fetchall():
        con.execute(f"drop table compare.{name}")  # a name from _NOW_VIEWS, never from input


def run_sql(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> None:
    """Run every statement of one file in ``sql/``, in order, with named parameters."""
    for statement in _statements(read_sql(name)):
        used = {k: v for k, v in (params or {}).items() if f"${k}" in statement}
        con.execute(statement, used or None)


def _statements(text: str) -> list[str]:
    """Split a SQL file on semicolons that end a line (our files never put two on one line)."""
    lines = [ln for ln in text.splitlines() if not ln.strip().startswith("--")]
    chunks, current = [], []
    for line in lines:
        current.append(line)
        if line.rstrip().endswith(";"):
            chunks.append("\n".join(current).strip().rstrip(";"))
            current = []
    tail = "\n".join(current).strip()
    if tail:
        chunks.append(tail)
    return [c for c in chunks if c]


def observation_id(response_id: str, obs: Observation) -> str:
    return _observation_id(response_id, _identity_of(obs))


def _observation_id(response_id: str, identity: tuple) -> str:
    key = [response_id] + [str(v) for v in identity]
    return hashlib.sha256("\x1f".join(key).encode()).hexdigest()[:24]


_IDENTITY_FIELDS = (
    "raw_id", "provider", "subject", "attribute", "region", "variant", "quantization",
    "tier_min_tokens", "qualifier", "valid_from", "locator",
)  # fmt: skip
# Observations are frozen dataclasses of plain values: reading their fields with attrgetter
# is about 30 times faster than dataclasses.asdict, which deep-copies every value.
_identity_of = operator.attrgetter(*_IDENTITY_FIELDS)
_FIELDS = tuple(f.name for f in dataclasses.fields(Observation))
_fields_of = operator.attrgetter(*_FIELDS)


def _json_default(value):
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _observation_columns(parsed) -> dict[str, list]:
    """Every observation of a slice as columns (one list per column of raw.observations)."""
    columns: dict[str, list] = {name: [] for name in _OBS_COLUMNS}
    field_columns = [columns[name] for name in _FIELDS]
    obs_id, response_id = columns["obs_id"], columns["response_id"]
    fetch_date, fetched_at = columns["fetch_date"], columns["fetched_at"]
    for response, observations, _ in parsed:
        rid, date, at = response.response_id, response.fetch_date, response.fetched_at.isoformat()
        for obs in observations:
            for column, value in zip(field_columns, _fields_of(obs), strict=True):
                column.append(value)
            obs_id.append(_observation_id(rid, _identity_of(obs)))
        count = len(obs_id) - len(response_id)
        response_id.extend([rid] * count)
        fetch_date.extend([date] * count)
        fetched_at.extend([at] * count)
    return columns


def replace_slice(
    con: duckdb.DuckDBPyConnection,
    source: str,
    fetch_date: str,
    parsed: Sequence[tuple[ArchivedResponse, Sequence[Observation], Sequence[ParseIssue]]],
    *,
    num_records: int,
) -> int:
    """Swap in one (source, fetch_date) slice in one transaction; returns observations loaded.

    The caller has parsed every response of the slice successfully before calling this, so a
    failed parse never deletes the previous rows.

    The observations travel as one JSON document of columns (one array per column), read by
    DuckDB with a declared schema: a single statement loads the whole slice, whatever its size.
    """
    columns = _observation_columns(parsed)
    count = len(columns["obs_id"])
    responses = [
        [
            r.response_id, r.source, r.url, r.status, r.fetched_at, r.fetch_date,
            r.fetched_at_approximate, r.sha256, r.size, r.content_type, r.note,
        ]
        for r, _, _ in parsed
    ]  # fmt: skip
    issues = [
        [i.source, fetch_date, r.response_id, i.raw_id, i.locator, i.reason]
        for r, _, slice_issues in parsed
        for i in slice_issues
    ]
    with tempfile.TemporaryDirectory(prefix="modelcompare-load-") as tmp:
        obs_path = Path(tmp) / "observations.json"
        body = json.dumps(columns, default=_json_default).encode() if count else b""
        obs_path.write_bytes(body)
        con.execute("begin transaction")
        try:
            run_sql(
                con,
                "delete_observations_for_fetch.sql",
                {"source": source, "fetch_date": fetch_date},
            )
            if count:
                con.execute(
                    f"insert into raw.observations by name select {_UNNEST} from read_json(?,"
                    " columns = ?, maximum_object_size = ?)",
                    [str(obs_path), _OBS_LIST_COLUMNS, len(body) + 1],
                )
            if responses:
                con.executemany(
                    "insert or replace into raw.responses values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    responses,
                )
            if issues:
                con.executemany("insert into raw.parse_issues values (?, ?, ?, ?, ?, ?)", issues)
            record_load(con, source, fetch_date, "ok", len(parsed), num_records, count)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    return count


_OBS_LIST_COLUMNS = {name: f"{kind}[]" for name, kind in _OBS_COLUMNS.items()}
_UNNEST = ", ".join(f"unnest({name}) as {name}" for name in _OBS_COLUMNS)


def record_load(
    con: duckdb.DuckDBPyConnection,
    source: str,
    fetch_date: str,
    status: str,
    num_responses: int,
    num_records: int,
    num_observations: int,
    error: str | None = None,
) -> None:
    con.execute(
        "insert into raw.source_loads values (?, ?, now(), ?, ?, ?, ?, ?)",
        [source, fetch_date, status, num_responses, num_records, num_observations, error],
    )
