"""The benchmark at a small N, so it keeps working: correctness only, never timings.

Runs ``scripts/benchmark.py --quick`` on synthetic warehouses of 50 and 100 models scaled from a
small template built from the bundled replay archive, then checks the row counts (N(N-1)/2
pairs everywhere), that the exports hold every pair, that a re-publish of unchanged documents
writes nothing, and that the pandas baseline and DuckDB agree on a sample of pair values.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "benchmark.py"
SIZES = (50, 100)


def _load_benchmark():
    spec = importlib.util.spec_from_file_location("benchmark_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("benchmark")
    out, raw, work = tmp / "benchmarks.md", tmp / "benchmarks.json", tmp / "work"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--sizes", ",".join(map(str, SIZES)),
         "--published-models", "3", "--out", str(out), "--json", str(raw),
         "--work", str(work), "--keep"],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return {"report": out.read_text(), "results": json.loads(raw.read_text()), "work": work}


def test_every_size_has_every_pair(run):
    results = run["results"]
    assert [int(n) for n in results["runs"]] == list(SIZES)
    for n, per in results["runs"].items():
        n = int(n)
        pairs = n * (n - 1) // 2
        assert per["expected_pairs"] == pairs
        assert per["synthetic"]["models"] == n
        assert per["pairs"][0]["rows"] == pairs
        assert per["selfjoin"][0]["rows"] == pairs
        assert per["pandas"][0]["rows"] == pairs
        profiles = per["pandas"][0]["monthly_rows"] // pairs
        assert profiles >= 1 and per["pandas"][0]["monthly_rows"] == pairs * profiles
        for fmt in ("parquet", "ndjson"):
            assert per[fmt][0]["rows"] == pairs
            assert per[fmt][0]["exported_rows"] == pairs
            assert per[fmt][0]["files"] >= 1


def test_the_warehouse_holds_n_pairs_and_monthly_rows(run):
    con = duckdb.connect(str(run["work"] / f"n{SIZES[-1]}.duckdb"), read_only=True)
    n = SIZES[-1]
    pairs = n * (n - 1) // 2
    assert con.execute("select count(*) from compare.pair_facts").fetchone()[0] == pairs
    assert con.execute(
        "select count(*) = count(distinct (key_a, key_b)) and bool_and(key_a < key_b)"
        " from compare.pair_facts"
    ).fetchone()[0]
    profiles = con.execute("select count(*) from compare.traffic_profiles").fetchone()[0]
    assert con.execute("select count(*) from compare.pair_monthly_costs").fetchone()[0] == (
        pairs * profiles
    )
    # Clearly labelled synthetic, every model id included.
    assert "SYNTHETIC" in con.execute("select note from bench.synthetic").fetchone()[0]
    assert con.execute("select bool_and(model_id like 'syn%') from core.models").fetchone()[0]
    con.close()


def test_unchanged_republish_writes_nothing(run):
    for per in run["results"]["runs"].values():
        publish = per["publish"][0]
        assert publish["publish_files"] > 0
        assert publish["republish_files"] == 0
        assert publish["republish_changed"] is False
        assert publish["pair_documents"] == 3  # --published-models 3


def test_pandas_and_duckdb_agree_on_a_sample(run):
    benchmark = _load_benchmark()
    check = benchmark.compare_with_pandas(run["work"] / f"n{SIZES[-1]}.duckdb", sample=1000)
    assert check["problems"] == []
    assert check["pairs_compared"] == 1000
    assert check["monthly_compared"] > 0


def test_the_report_names_the_machine_and_the_synthetic_data(run):
    report = run["report"]
    assert "SYNTHETIC" in report
    assert "cores" in report and "duckdb" in report
    for n in SIZES:
        assert f"| {n:,} | {n * (n - 1) // 2:,} |" in report
