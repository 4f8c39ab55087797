"""Benchmark: pair facts, exports and publishing at 500 to 5,000 models, with baselines.

One command (from the repository root; the pandas baseline needs the dev tools, so run
``scripts/setup --dev`` once first):

    .venv/bin/python scripts/benchmark.py                  # the full run, writes docs/benchmarks.md
    .venv/bin/python scripts/benchmark.py --quick --sizes 50,100 --out /tmp/bench.md   # CI-sized

For each N it builds a SYNTHETIC warehouse of N canonical models, scaled from a real one
(``modelcompare.synthetic``: the real distributions of providers, prices, capabilities and
context windows), then times, each measurement in a fresh subprocess so its peak RSS is its own:

- ``pairs``     all of ``assets.compare.build_pair_facts`` in one transaction, as the asset runs it
- ``selfjoin``  the floor: a bare DuckDB self-join of the same N models into a table, same settings
- ``pandas``    the same pair facts from a vectorised pandas cross merge (no Python loop)
- ``parquet``   every pair exported with ``COPY ... (FORMAT parquet)``
- ``ndjson``    every pair exported as NDJSON shards (``preserve_insertion_order = false``)
- ``publish``   the release documents rendered (``export.build_documents``), the per-pair
                documents of the published selection written as files, a full publish
                (``export.publish``) and a re-publish of the unchanged documents (0 files)

and, once, a full replay refresh of every recorded source through the Dagster CLI
(``scripts/refresh`` with its warehouse, exports and DAGSTER_HOME in a temporary folder), timed as
a whole process, with each asset's time read from the run's event log. That refreshed warehouse
is also the template the synthetic data is scaled from (``--quick`` builds a small template
in-process instead, from the newest fetch of four sources; ``--template`` takes a warehouse file).

The archive is the bundled ``replay/`` (``--archive`` to use another, e.g. one rebuilt from
``../shared`` with ``scripts/bundle_sources.py``). Medians over ``--repeats`` runs. Targets live
here and in the report, never in tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DEFAULT_SIZES = "500,1000,2000,3000,5000"
TASKS = ("pairs", "selfjoin", "pandas", "parquet", "ndjson", "publish")
# The targets (issue 8), checked in the report only.
TARGET_N = 3000
TARGET_PAIRS_S = 3.0
TARGET_FLOOR_RATIO = 3.0
TARGET_PANDAS_RATIO = 10.0
TARGET_PEAK_MB = 1536
TARGET_PARQUET_RATE = 1_000_000
TARGET_NDJSON_RATE = 500_000
TARGET_REFRESH_S = 60.0
TARGET_REPUBLISH_SHARE = 0.10
# The pandas baseline is skipped where its cross merge would need more than this (estimated).
PANDAS_BYTES_PER_CROSS_ROW = 600

# What a consumer of the export gets: every pair fact, the models named by id.
EXPORT_SQL = """
    select a.model_id as model_a, b.model_id as model_b, p.* exclude (key_a, key_b)
    from compare.pair_facts as p
    inner join compare.model_summary as a on a.model_key = p.key_a
    inner join compare.model_summary as b on b.model_key = p.key_b
"""


# --- measuring in a fresh process -----------------------------------------------------------
def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class _Clock:
    def __enter__(self):
        self.rss_before = _rss_mb()
        self.cpu = _cpu_s()
        self.t = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.t
        self.cpu = _cpu_s() - self.cpu
        self.peak = _rss_mb()


def _settings():
    from assets.compare import load_comparison_settings

    return load_comparison_settings()


def worker(
    task: str, db: Path, n: int, scratch: Path, pandas_max_gb: float, skip: tuple = ()
) -> dict:
    """Run one measurement in this (fresh) process; returns figures as a dict."""
    from modelcompare import warehouse

    if task == "pairs":
        from assets.compare import build_pair_facts

        settings = _settings()
        con = warehouse.connect(db)
        with _Clock() as c:
            con.execute("begin transaction")
            build_pair_facts(con, settings)
            con.execute("commit")
        pairs = con.execute("select count(*) from compare.pair_facts_packed").fetchone()[0]
        con.close()
        return {
            "wall": c.wall,
            "cpu": c.cpu,
            "peak_mb": c.peak,
            "base_mb": c.rss_before,
            "rows": pairs,
        }

    if task == "selfjoin":
        con = warehouse.connect(db)
        con.execute("create schema if not exists bench")
        with _Clock() as c:
            con.execute("begin transaction")
            con.execute(
                "create or replace table bench.selfjoin as select a.model_key as key_a,"
                " b.model_key as key_b from compare.model_summary as a"
                " inner join compare.model_summary as b on a.model_key < b.model_key"
            )
            con.execute("commit")
        rows = con.execute("select count(*) from bench.selfjoin").fetchone()[0]
        con.execute("drop table bench.selfjoin")
        con.close()
        return {
            "wall": c.wall,
            "cpu": c.cpu,
            "peak_mb": c.peak,
            "base_mb": c.rss_before,
            "rows": rows,
        }

    if task == "pandas":
        needed = n * n * PANDAS_BYTES_PER_CROSS_ROW
        if needed > pandas_max_gb * 2**30:
            return {"skipped": f"needs about {needed / 2**30:.0f} GiB (limit {pandas_max_gb:g})"}
        con = warehouse.connect(db, read_only=True)
        models = pandas_inputs(con)
        con.close()
        try:
            with _Clock() as c:
                pairs, monthly = pandas_pair_facts(models)
        except MemoryError:
            return {"skipped": "out of memory"}
        return {"wall": c.wall, "cpu": c.cpu, "peak_mb": c.peak, "base_mb": c.rss_before,
                "rows": len(pairs), "monthly_rows": len(monthly)}  # fmt: skip

    if task in ("parquet", "ndjson"):
        con = warehouse.connect(db, read_only=True)
        out = scratch / task
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        with _Clock() as c:
            if task == "parquet":
                con.execute(f"copy ({EXPORT_SQL}) to '{out / 'pairs.parquet'}' (format parquet)")
            else:
                con.execute("set preserve_insertion_order = false")
                con.execute(
                    f"copy ({EXPORT_SQL}) to '{out}' (format json, per_thread_output true,"
                    " file_size_bytes '32MB', overwrite_or_ignore true)"
                )
        rows = con.execute("select count(*) from compare.pair_facts_packed").fetchone()[0]
        con.close()
        files = [p for p in out.rglob("*") if p.is_file()]
        size = sum(p.stat().st_size for p in files)
        figures = {"wall": c.wall, "cpu": c.cpu, "peak_mb": c.peak, "base_mb": c.rss_before,
                   "rows": rows, "files": len(files), "bytes": size}  # fmt: skip
        if n <= 1000:  # small enough to count what was written (not timed)
            if task == "parquet":
                figures["exported_rows"] = duckdb_count(f"read_parquet('{out}/*.parquet')")
            else:
                figures["exported_rows"] = sum(
                    sum(1 for _ in p.open("rb")) for p in files if p.suffix == ".json"
                )
        shutil.rmtree(out, ignore_errors=True)
        return figures

    if task == "publish":
        return publish_worker(db, scratch)
    if task == "all":  # --quick: every task in this one process (peaks not per task)
        return {t: worker(t, db, n, scratch, pandas_max_gb) for t in TASKS if t not in skip}
    raise SystemExit(f"unknown task {task}")


def duckdb_count(relation: str) -> int:
    import duckdb

    return duckdb.connect().execute(f"select count(*) from {relation}").fetchone()[0]


def publish_worker(db: Path, scratch: Path) -> dict:
    from modelcompare import export, warehouse

    blend = _settings()["blend"]
    con = warehouse.connect(db, read_only=True)
    as_of = con.execute(
        "select coalesce(max(last_good_fetch_date), current_date) from core.source_status"
    ).fetchone()[0]
    with _Clock() as render:
        docs = export.build_documents(con, as_of, blend)
    con.close()
    pair_docs = {p: b for p, b in docs.items() if "/pairs/" in p}
    out = scratch / "pair-docs"
    shutil.rmtree(out, ignore_errors=True)
    with _Clock() as write_pairs:
        for path, body in pair_docs.items():
            target = out / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(body)
    shutil.rmtree(out, ignore_errors=True)
    export_dir = scratch / "exports"
    shutil.rmtree(export_dir, ignore_errors=True)
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with _Clock() as full:
        first = export.publish(docs, export_dir, generated_at=at)
    with _Clock() as again:
        second = export.publish(docs, export_dir, generated_at=at)
    # What the release step does when its inputs equal the current release's: fingerprint the
    # warehouse, code and settings, find them recorded for the current release, stop.
    con = warehouse.connect(db, read_only=True)
    export.record_inputs(
        export_dir, export.inputs_fingerprint(con, as_of, blend, pages=False), first.release_id
    )
    with _Clock() as skip:
        inputs = export.inputs_fingerprint(con, as_of, blend, pages=False)
        skipped = export.release_for_inputs(export_dir, inputs) is not None
    con.close()
    shutil.rmtree(export_dir, ignore_errors=True)
    return {
        "same_inputs_wall": skip.wall,
        "same_inputs_skipped": skipped,
        "render_wall": render.wall,
        "documents": len(docs),
        "pair_documents": len(pair_docs),
        "pair_docs_write_wall": write_pairs.wall,
        "publish_wall": full.wall,
        "publish_files": first.files_written,
        "republish_wall": again.wall,
        "republish_files": second.files_written,
        "republish_changed": second.changed,
        "peak_mb": _rss_mb(),
    }


# --- the pandas baseline ------------------------------------------------------------------
PANDAS_INPUTS_SQL = """
    with
    provider_index as (
        select provider, (dense_rank() over (order by provider))::integer - 1 as idx
        from (select distinct unnest(providers) as provider from compare.model_summary)
    ),
    benchmark_index as (
        select benchmark, (dense_rank() over (order by benchmark))::integer - 1 as idx
        from (select distinct unnest(benchmarks) as benchmark from compare.model_summary)
    ),
    pw as (
        select model_key, idx // 64 as w, bit_or(1::ubigint << (idx % 64)) as bits
        from (select model_key, unnest(providers) as provider from compare.model_summary)
        inner join provider_index using (provider)
        group by all
    ),
    bw as (
        select model_key, idx // 64 as w, bit_or(1::ubigint << (idx % 64)) as bits
        from (select model_key, unnest(benchmarks) as benchmark from compare.model_summary)
        inner join benchmark_index using (benchmark)
        group by all
    ),
    profiles as (
        select profile_id, (row_number() over (order by profile_id))::integer - 1 as idx
        from compare.traffic_profiles
    ),
    costs as (
        select s.model_key, p.idx, c.cheapest.cost_per_month_usd::decimal(18, 6)::double as cost
        from compare.model_profile_costs as c
        inner join compare.model_summary as s using (model_id)
        inner join profiles as p using (profile_id)
    )
    select
        s.model_key as key,
        s.input_price::double as input, s.output_price::double as output,
        s.blended_price::double as blended, s.context_window::double as context,
        s.caps_known, s.caps_true, coalesce(s.publish, false) as publish,
        {words},
        {costs}
    from compare.model_summary as s
"""


def pandas_inputs(con):
    """One row per model, numbers only (the baseline's input; not timed)."""
    words = ", ".join(
        f"coalesce((select bits from {t} where {t}.model_key = s.model_key and w = {i}), 0)"
        f"::ubigint as {t}{i}"
        for t in ("pw", "bw")
        for i in range(8)
    )
    profiles = con.execute("select count(*) from compare.traffic_profiles").fetchone()[0]
    costs = ", ".join(
        f"(select cost from costs where costs.model_key = s.model_key and idx = {i}) as cost{i}"
        for i in range(profiles)
    )
    return con.execute(PANDAS_INPUTS_SQL.format(words=words, costs=costs)).df()


def pandas_pair_facts(models):
    """The pair facts and monthly comparisons with a pandas cross merge and numpy."""
    import numpy as np
    import pandas as pd

    sides = ["a", "b", "same"]

    def side(x, y):
        codes = np.select([x < y, y < x, x == y], [0, 1, 2], default=-1)
        return pd.Categorical.from_codes(codes, sides)

    def pcts(x, y):
        with np.errstate(divide="ignore", invalid="ignore"):
            g, low = np.maximum(x, y), np.minimum(x, y)
            cheaper = np.round((g - low) / g * 100, 1)
            more = np.round((g - low) / np.where(low == 0, np.nan, low) * 100, 1)
        return cheaper, more

    x = models.merge(models, how="cross", suffixes=("_a", "_b"))
    x = x[x["key_a"].to_numpy() < x["key_b"].to_numpy()]
    col = {c: x[c].to_numpy() for c in x.columns}
    out = {"key_a": col["key_a"], "key_b": col["key_b"]}
    for kind in ("input", "output", "blended"):
        a, b = col[f"{kind}_a"], col[f"{kind}_b"]
        out[f"{kind}_cheaper"] = side(a, b)
        out[f"{kind}_pct_cheaper"], out[f"{kind}_pct_more_expensive"] = pcts(a, b)
    out["larger_context"] = side(col["context_b"], col["context_a"])
    ka, kb = col["caps_known_a"].astype(np.uint8), col["caps_known_b"].astype(np.uint8)
    ta, tb = col["caps_true_a"].astype(np.uint8), col["caps_true_b"].astype(np.uint8)
    out["only_a_caps"] = ta & ~tb & kb
    out["only_b_caps"] = tb & ~ta & ka
    out["unknown_caps"] = ~(ka & kb) & np.uint8(15)
    for name, prefix in (("num_shared_providers", "pw"), ("num_shared_benchmarks", "bw")):
        out[name] = sum(
            np.bitwise_count(col[f"{prefix}{i}_a"] & col[f"{prefix}{i}_b"]) for i in range(8)
        ).astype(np.int16)
    out["published"] = col["publish_a"] & col["publish_b"]
    pairs = pd.DataFrame(out, copy=False)
    monthly = []
    i = 0
    while f"cost{i}_a" in col:
        a, b = col[f"cost{i}_a"], col[f"cost{i}_b"]
        monthly.append(
            pd.DataFrame({"key_a": col["key_a"], "key_b": col["key_b"], "profile": i,
                          "cheaper": side(a, b), "pct_cheaper": pcts(a, b)[0]}, copy=False)
        )  # fmt: skip
        i += 1
    return pairs, pd.concat(monthly, ignore_index=True) if monthly else pd.DataFrame()


def compare_with_pandas(db: Path, sample: int = 2000) -> dict:
    """Correctness, not speed: pandas and DuckDB agree on a sample of pairs (used by the tests)."""
    import numpy as np

    from modelcompare import warehouse

    con = warehouse.connect(db, read_only=True)
    pairs, monthly = pandas_pair_facts(pandas_inputs(con))
    duck = con.execute(
        f"select * from compare.pair_facts using sample {sample} rows (reservoir, 42)"
    ).df()
    duck_monthly = con.execute(
        "select m.key_a, m.key_b, p.idx as profile, m.cheaper, m.pct_cheaper"
        " from compare.pair_monthly_costs as m inner join (select profile_id,"
        " (row_number() over (order by profile_id))::integer - 1 as idx"
        " from compare.traffic_profiles) as p using (profile_id)"
    ).df()
    con.close()
    merged = duck.merge(pairs, on=["key_a", "key_b"], suffixes=("_duck", "_pandas"))
    problems = []
    for column in duck.columns:
        if column in ("key_a", "key_b"):
            continue
        d, p = merged[f"{column}_duck"], merged[f"{column}_pandas"]
        if column.endswith("pct_cheaper") or column.endswith("pct_more_expensive"):
            dv, pv = d.to_numpy(dtype=float), p.to_numpy(dtype=float)
            close = np.isclose(dv, pv, rtol=1e-9, atol=0.1001) | (np.isnan(dv) & np.isnan(pv))
            bad = int((~close).sum())
        else:
            dv, pv = d.astype(object).where(d.notna(), None), p.astype(object)
            pv = pv.where(p.notna(), None)
            bad = int(
                sum(
                    1
                    for u, v in zip(dv, pv, strict=True)
                    if u != v and not (u in (None,) and v in (None,))
                )
            )  # noqa: E501
        if bad:
            problems.append(f"{column}: {bad} of {len(merged)} differ")
    m = duck_monthly.merge(monthly, on=["key_a", "key_b", "profile"], suffixes=("_duck", "_pandas"))
    sides_differ = int(
        (
            m["cheaper_duck"].astype(object).fillna("-")
            != m["cheaper_pandas"].astype(object).fillna("-")
        ).sum()
    )
    dv, pv = (
        m["pct_cheaper_duck"].to_numpy(dtype=float),
        m["pct_cheaper_pandas"].to_numpy(dtype=float),
    )
    pct_differ = int((~(np.isclose(dv, pv, atol=0.1001) | (np.isnan(dv) & np.isnan(pv)))).sum())
    if sides_differ or pct_differ:
        problems.append(f"monthly: {sides_differ} sides and {pct_differ} pcts differ of {len(m)}")
    return {"pairs_compared": len(merged), "monthly_compared": len(m),
            "pandas_pairs": len(pairs), "pandas_monthly": len(monthly), "problems": problems}  # fmt: skip


# --- the orchestration -------------------------------------------------------------------
def run_worker(
    task: str, db: Path, n: int, scratch: Path, pandas_max_gb: float, skip: tuple = ()
) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", task, "--db", str(db),
           "--n", str(n), "--scratch", str(scratch), "--pandas-max-gb", str(pandas_max_gb),
           "--skip", ",".join(skip)]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    if done.returncode != 0:
        # One broken measurement must not lose the others: report it and carry on.
        print(f"benchmark: worker {task} (N={n}) failed:\n{done.stderr[-4000:]}", flush=True)
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"skipped": f"FAILED: {last[:200]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def refresh(archive: Path, work: Path) -> dict:
    """The full replay refresh through the Dagster CLI, in temporary folders."""
    home = work / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        MODELCOMPARE_DUCKDB=str(work / "refresh.duckdb"),
        MODELCOMPARE_EXPORT_DIR=str(work / "refresh-exports"),
        MODELCOMPARE_REPLAY_DIR=str(archive),
        MODELCOMPARE_MODE="replay",
        DAGSTER_HOME=str(home),
        DAGSTER_DG_UPDATE_CHECK_ENABLED="0",
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run([str(REPO / "scripts" / "refresh")], env=env, cwd=REPO,
                          capture_output=True, text=True)  # fmt: skip
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    (work / "refresh.log").write_text(done.stdout + done.stderr)
    return {
        "wall": wall,
        "returncode": done.returncode,
        "peak_child_mb": max(peak, before) / 1024,
        "steps": step_times(home, done.stdout),
        "warehouse": str(work / "refresh.duckdb"),
        "log": str(work / "refresh.log"),
    }


_STEP_LINE = re.compile(r'Finished execution of step "([^"]+)" in ([\d.]+)(ms|s)')


def step_times(dagster_home: Path, output: str) -> dict:
    """Seconds per step from the instance's event log (STEP_START to STEP_SUCCESS/FAILURE),
    falling back to the STEP_SUCCESS lines of the output."""
    try:
        import dagster as dg

        times: dict[str, float] = {}
        with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
            for run in instance.get_runs():
                starts = {}
                for entry in instance.all_logs(run.run_id):
                    event = entry.dagster_event
                    if event is None or not entry.step_key:
                        continue
                    kind = event.event_type_value
                    if kind == "STEP_START":
                        starts[entry.step_key] = entry.timestamp
                    elif kind in ("STEP_SUCCESS", "STEP_FAILURE") and entry.step_key in starts:
                        times[entry.step_key] = entry.timestamp - starts[entry.step_key]
        if times:
            return times
    except Exception:  # noqa: BLE001 - the printed lines are the fallback
        pass
    return {
        step: float(value) / (1000 if unit == "ms" else 1)
        for step, value, unit in _STEP_LINE.findall(output)
    }


def machine() -> dict:
    import duckdb

    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), platform.processor(),
    )  # fmt: skip
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    versions = {"python": platform.python_version(), "duckdb": duckdb.__version__}
    for name in ("pandas", "numpy", "dagster"):
        try:
            versions[name] = __import__(name).__version__
        except ImportError:
            versions[name] = "not installed"
    commit = (
        os.environ.get("BENCHMARK_COMMIT")
        or subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        or "unknown"
    )
    return {"nproc": os.cpu_count(), "memory_gib": round(mem_kb / 2**20, 1), "cpu": cpu,
            "kernel": platform.release(), "versions": versions, "commit": commit,
            "load_before": os.getloadavg()}  # fmt: skip


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def run(args) -> dict:
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    own_work = not args.work and not args.keep  # a temporary folder of its own: removed at the end
    work = Path(args.work or tempfile.mkdtemp(prefix="modelcompare-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict = {"machine": machine(), "sizes": sizes, "repeats": args.repeats,
                     "quick": args.quick, "started": dt.datetime.now(dt.UTC).isoformat(),
                     "work": str(work)}  # fmt: skip
    archive = Path(args.archive)

    # The real warehouse the synthetic data is scaled from.
    from modelcompare import synthetic, warehouse

    if args.template:
        template = Path(args.template)
        results["template"] = {"path": str(template), "how": "given"}
    elif args.quick or args.skip_refresh:
        template = work / "template.duckdb"
        t = time.perf_counter()
        info = synthetic.build_template(template, archive, quick=args.quick)
        results["template"] = {"path": str(template), "how": "in-process build", **info,
                               "seconds": time.perf_counter() - t}  # fmt: skip
    else:
        print("benchmark: full replay refresh through the Dagster CLI", flush=True)
        results["refresh"] = refresh(archive, work)
        if results["refresh"]["returncode"] != 0:
            print(f"benchmark: the refresh failed; see {results['refresh']['log']}", flush=True)
        template = Path(results["refresh"]["warehouse"])
        results["template"] = {"path": str(template), "how": "the refresh's warehouse"}

    results["runs"] = {}
    for n in sizes:
        db = work / f"n{n}.duckdb"
        for leftover in (db, Path(f"{db}.wal")):
            leftover.unlink(missing_ok=True)
        con = warehouse.connect(db)
        info = synthetic.populate(
            con, n, template, seed=args.seed, max_published=args.published_models
        )
        con.close()
        scratch = work / f"n{n}-scratch"
        per: dict = {"synthetic": info, "expected_pairs": n * (n - 1) // 2}
        tasks = [t for t in TASKS if t not in args.skip]
        if args.quick:
            print(f"benchmark: N={n} every task in one process (--quick)", flush=True)
            figures = run_worker("all", db, n, scratch, args.pandas_max_gb, args.skip)
            for task in tasks:
                per[task] = [figures.get(task) or figures]
            tasks = []
        for task in tasks:
            repeats = args.publish_repeats if task == "publish" else args.repeats
            per[task] = []
            for r in range(repeats):
                print(f"benchmark: N={n} {task} run {r + 1}/{repeats}", flush=True)
                figures = run_worker(task, db, n, scratch, args.pandas_max_gb)
                per[task].append(figures)
                if figures.get("skipped"):
                    break
        results["runs"][n] = per
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
            if n != sizes[-1] or not args.quick:
                db.unlink(missing_ok=True)
    results["machine"]["load_after"] = os.getloadavg()
    results["finished"] = dt.datetime.now(dt.UTC).isoformat()
    if own_work and (results.get("refresh") or {}).get("returncode", 0) == 0:
        shutil.rmtree(work, ignore_errors=True)  # kept when the refresh failed: its log is there
    return results


# --- the report ---------------------------------------------------------------------------
def _fmt(v, digits=2):
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return f"{v:,}"


def _ratio(x, y, digits=1):
    return f"{x / y:.{digits}f}×" if x and y else "–"


def summarize(results: dict) -> dict:
    """Medians per N and task: {N: {"n_pairs": ..., task: {figure: median} or None}}."""
    out = {}
    for n, per in results["runs"].items():
        row = {"n_pairs": per["expected_pairs"], "synthetic": per["synthetic"]}
        for task in TASKS:
            runs = per.get(task)
            if not runs:
                row[task] = None
                continue
            done = [r for r in runs if not r.get("skipped")]
            if not done:
                row[task] = {"skipped": runs[0]["skipped"]}
                continue
            keys = {k for r in done for k, v in r.items()
                    if isinstance(v, int | float) and not isinstance(v, bool)}  # fmt: skip
            row[task] = {k: median([r.get(k) for r in done]) for k in keys}
            row[task]["runs"] = len(done)
            if task == "publish":
                row[task]["republish_changed"] = any(r["republish_changed"] for r in done)
                row[task]["same_inputs_skipped"] = all(r.get("same_inputs_skipped") for r in done)
        out[int(n)] = row
    return out


def _get(row, task, key):
    figures = row.get(task)
    return figures.get(key) if isinstance(figures, dict) else None


def verdicts(results: dict) -> list[tuple[str, str, str]]:
    """(target, measured, met?) for the issue's targets."""
    s = summarize(results)
    out = []
    n = TARGET_N if TARGET_N in s else max(s)
    row = s[n]
    wall, peak = _get(row, "pairs", "wall"), _get(row, "pairs", "peak_mb")
    floor, pandas_ = _get(row, "selfjoin", "wall"), _get(row, "pandas", "wall")

    def yes(ok):
        return "–" if ok is None else ("met" if ok else "**missed**")

    label = f"N={n} ({row['n_pairs']:,} pairs)"
    out.append((f"All-pairs facts, {label}, ≤ {TARGET_PAIRS_S:g} s", f"{_fmt(wall)} s",
                yes(wall and wall <= TARGET_PAIRS_S)))  # fmt: skip
    out.append((f"Within {TARGET_FLOOR_RATIO:g}× of the bare self-join", _ratio(wall, floor),
                yes(wall and floor and wall / floor <= TARGET_FLOOR_RATIO)))  # fmt: skip
    skipped = isinstance(row.get("pandas"), dict) and row["pandas"].get("skipped")
    out.append((f"≥ {TARGET_PANDAS_RATIO:g}× faster than pandas",
                f"pandas skipped ({skipped})" if skipped else _ratio(pandas_, wall),
                yes(pandas_ and wall and pandas_ / wall >= TARGET_PANDAS_RATIO)))  # fmt: skip
    out.append((f"Peak memory ≤ {TARGET_PEAK_MB / 1024:g} GB", f"{_fmt(peak, 0)} MB",
                yes(peak and peak <= TARGET_PEAK_MB)))  # fmt: skip
    rates = {}
    for task, target in (("parquet", TARGET_PARQUET_RATE), ("ndjson", TARGET_NDJSON_RATE)):
        worst = None
        for r in s.values():
            w = _get(r, task, "wall")
            if w:
                rate = r["n_pairs"] / w
                worst = rate if worst is None else min(worst, rate)
        rates[task] = worst
        out.append((f"{task} export ≥ {target:,} pairs/s (slowest N)", f"{_fmt(worst, 0)} pairs/s",
                    yes(worst and worst >= target)))  # fmt: skip
    peaks = [(_get(r, "ndjson", "peak_mb"), _get(r, "parquet", "peak_mb")) for r in s.values()]
    flat = [max(p for p in pair if p) for pair in peaks if any(pair)]
    out.append(("Export memory flat as N grows",
                " → ".join(f"{p:,.0f}" for p in flat) + " MB" if flat else "–",
                yes(bool(flat) and max(flat) <= 2 * min(flat))))  # fmt: skip
    ref = results.get("refresh")
    if ref:
        out.append((f"Full replay refresh ≤ {TARGET_REFRESH_S:g} s wall", f"{ref['wall']:.1f} s",
                    yes(ref["wall"] <= TARGET_REFRESH_S and ref["returncode"] == 0)))  # fmt: skip
    else:
        out.append((f"Full replay refresh ≤ {TARGET_REFRESH_S:g} s wall", "not run", "–"))
    prow = s[max(s)]
    render, full = _get(prow, "publish", "render_wall"), _get(prow, "publish", "publish_wall")
    skip = _get(prow, "publish", "same_inputs_wall")
    files = _get(prow, "publish", "republish_files")
    whole = (render or 0) + (full or 0)
    out.append((f"Unchanged re-publish writes 0 files in ≤ {TARGET_REPUBLISH_SHARE:.0%} of a full publish (N={max(s)})",
                f"{_fmt(files)} files, {_ratio(skip, whole, 3)} of render + publish",
                yes(files == 0 and skip and whole and skip / whole <= TARGET_REPUBLISH_SHARE
                    and (prow["publish"] or {}).get("same_inputs_skipped"))))  # fmt: skip
    return out


def report(results: dict) -> str:
    m = results["machine"]
    s = summarize(results)
    sizes = ",".join(map(str, results["sizes"]))
    command = ".venv/bin/python scripts/benchmark.py"
    if sizes != DEFAULT_SIZES:
        command += f" --sizes {sizes}"
    if results["repeats"] != 3:
        command += f" --repeats {results['repeats']}"
    if results["quick"]:
        command += " --quick"
    publish_runs = max((len(per.get("publish", [])) for per in results["runs"].values()), default=0)
    lines = [
        "# Benchmarks",
        "",
        "Written by `scripts/benchmark.py`; run it again to refresh the numbers. **The pair data",
        "is SYNTHETIC**: N canonical models scaled from the real warehouse by",
        "`modelcompare.synthetic` (the real distributions of providers per model, prices,",
        "capabilities, context windows, benchmarks and the published share; a copy of a real model",
        "gets its own ids and its prices scaled by 0.8-1.2). The refresh replays the real archive.",
        "",
        f"Command: `{command}` (after `scripts/setup --dev`: the pandas baseline needs the dev"
        " tools)." + ("" if results["quick"] else " About 10 minutes on this machine."),
        "",
        "## Machine",
        "",
        f"- {m['nproc']} cores ({m['cpu']}), {m['memory_gib']} GiB memory, Linux {m['kernel']}",
        "- " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()) + f"; commit {m['commit']}",
        f"- Load average before / after the run: {' '.join(f'{x:.1f}' for x in m['load_before'])}"
        f" / {' '.join(f'{x:.1f}' for x in m.get('load_after', ()))}. The machine is shared with",
        "  other work, which makes wall times noisy; CPU seconds are given beside them.",
        (
            "- `--quick`: one run of each task, all in one process, so the peaks are that"
            " process's, not each task's."
            if results["quick"]
            else f"- Medians of {results['repeats']} runs per figure ({publish_runs} for"
            " publishing), each in a fresh process; peak RSS is that process's own, Python,"
            " DuckDB and the open warehouse included."
        ),
        f"- Template: {results['template']['how']}"
        + (
            f", {results['template'].get('models'):,} real models"
            if results["template"].get("models")
            else ""
        ),
        "",
        "## Targets (issue 8)",
        "",
        "| target | measured | |",
        "|---|---|---|",
    ]
    if results["quick"]:
        lines[-2:] = [
            "Not judged: a `--quick` run (small N, one process) only shows that the benchmark",
            "works. The targets are judged by the full run (`docs/benchmarks.md`).",
        ]
    else:
        lines += [f"| {a} | {b} | {c} |" for a, b, c in verdicts(results)]
    lines += [
        "",
        "## Pair facts: the curve",
        "",
        "`pair facts` is all of `build_pair_facts` (model summary, tier-aware profile costs, every",
        "pair fact and the monthly comparison under each traffic profile, written to the warehouse",
        "file in one transaction, as the asset runs it). `floor` is a bare DuckDB self-join of the",
        "same N into a table of the two keys (same file, same settings, same transaction).",
        "`pandas` is the same pair facts and monthly comparisons from a vectorised cross merge.",
        "Cost per pair stays flat as N grows: cost grows no faster than the number of pairs.",
        "",
        "| N | pairs | pair facts s | CPU s | ns / pair | peak MB | floor s | ÷ floor | pandas s | pandas peak MB | pandas ÷ DuckDB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n, row in sorted(s.items()):
        wall, cpu = _get(row, "pairs", "wall"), _get(row, "pairs", "cpu")
        floor = _get(row, "selfjoin", "wall")
        pw, pp = _get(row, "pandas", "wall"), _get(row, "pandas", "peak_mb")
        skipped = isinstance(row.get("pandas"), dict) and row["pandas"].get("skipped")
        lines.append(
            f"| {n:,} | {row['n_pairs']:,} | {_fmt(wall)} | {_fmt(cpu)} | "
            f"{_fmt(wall * 1e9 / row['n_pairs'], 0) if wall and row['n_pairs'] else '–'} | "
            f"{_fmt(_get(row, 'pairs', 'peak_mb'), 0)} | {_fmt(floor)} | {_ratio(wall, floor)} | "
            f"{'skipped: ' + skipped if skipped else _fmt(pw)} | {_fmt(pp, 0)} | {_ratio(pw, wall)} |"
        )
    lines += [
        "",
        "## Exports of all pairs",
        "",
        "Every pair with every pair fact and both model ids (`compare.pair_facts` joined to the",
        "models), as one Parquet file (`COPY ... (FORMAT parquet)`) and as NDJSON shards",
        "(`COPY ... (FORMAT json, PER_THREAD_OUTPUT, FILE_SIZE_BYTES '32MB')` with",
        "`preserve_insertion_order = false`).",
        "",
        "| N | pairs | Parquet s | pairs/s | MB | peak MB | NDJSON s | pairs/s | files | MB | peak MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n, row in sorted(s.items()):
        pq, nd = row.get("parquet") or {}, row.get("ndjson") or {}
        lines.append(
            f"| {n:,} | {row['n_pairs']:,} | {_fmt(pq.get('wall'))} | "
            f"{_fmt(row['n_pairs'] / pq['wall'], 0) if pq.get('wall') else '–'} | "
            f"{_fmt((pq.get('bytes') or 0) / 1e6, 0)} | {_fmt(pq.get('peak_mb'), 0)} | "
            f"{_fmt(nd.get('wall'))} | {_fmt(row['n_pairs'] / nd['wall'], 0) if nd.get('wall') else '–'} | "
            f"{_fmt(nd.get('files'))} | {_fmt((nd.get('bytes') or 0) / 1e6, 0)} | {_fmt(nd.get('peak_mb'), 0)} |"
        )
    lines += [
        "",
        "## Release documents and publishing",
        "",
        "`render` is `export.build_documents` (every model document, every published pair document",
        "and the catalog); `pair docs` writes the published selection's pair documents as files",
        "into an empty folder; `publish` is `export.publish` into an empty export folder (every",
        "file written); `re-publish` is the same call again with the same documents (nothing",
        "written). `same inputs` is what the release step does instead when nothing it reads",
        "changed: fingerprint the warehouse tables, code and settings",
        "(`export.inputs_fingerprint`), find them recorded for the current release, stop",
        "without rendering; its share is of render + publish.",
        "",
        "| N | published pairs | documents | render s | pair docs s | publish s | files | re-publish s | files | re-publish ÷ publish | same inputs s | ÷ (render + publish) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n, row in sorted(s.items()):
        p = row.get("publish") or {}
        render, full, again = p.get("render_wall"), p.get("publish_wall"), p.get("republish_wall")
        skip = p.get("same_inputs_wall")
        lines.append(
            f"| {n:,} | {_fmt(p.get('pair_documents'))} | {_fmt(p.get('documents'))} | "
            f"{_fmt(render)} | {_fmt(p.get('pair_docs_write_wall'), 3)} | {_fmt(full)} | "
            f"{_fmt(p.get('publish_files'))} | {_fmt(again, 3)} | {_fmt(p.get('republish_files'))} | "
            f"{_ratio(again, full, 3)} | {_fmt(skip, 3)} | {_ratio(skip, (render or 0) + (full or 0), 3)} |"
        )
    ref = results.get("refresh")
    lines += ["", "## Full replay refresh through the Dagster CLI", ""]
    if ref:
        lines += [
            "`scripts/refresh` (`pipelines.cli prepare`, then two `dagster asset materialize`",
            "runs: the archive index and every source over every fetch date, then facts, pair",
            "facts and the release, then the summary) with its warehouse, exports and",
            "DAGSTER_HOME in a temporary folder; wall time of the whole process, and each step's",
            "time from the runs' event logs (STEP_START to STEP_SUCCESS).",
            "",
            f"- Wall: **{ref['wall']:.1f} s** (exit code {ref['returncode']}), largest process "
            f"{ref['peak_child_mb']:,.0f} MB",
            f"- Sum of step times: {sum(ref['steps'].values()):.1f} s; the rest is process start-up,",
            "  imports and Dagster's run bookkeeping across the two CLI invocations and the three",
            "  `pipelines.cli` calls.",
            "",
            "| step | s |",
            "|---|---|",
        ]
        lines += [
            f"| {k} | {v:.2f} |" for k, v in sorted(ref["steps"].items(), key=lambda kv: -kv[1])
        ]
    else:
        lines.append("Not run (`--quick`, `--skip-refresh` or `--template`).")
    lines += ["", "## Synthetic warehouses", "",
              "| N | models | published | offerings | providers | facts |", "|---|---|---|---|---|---|"]  # fmt: skip
    for n, row in sorted(s.items()):
        syn = row["synthetic"]
        lines.append(f"| {n:,} | {syn['models']:,} | {syn['published_models']:,} | "
                     f"{syn['offerings']:,} | {syn['providers']:,} | {syn['facts']:,} |")  # fmt: skip
    if results.get("notes") and not results["quick"]:  # the notes discuss the full run
        lines += ["", "## Notes", "", results["notes"].strip()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/benchmark.py",
        description=__doc__.split("\n\n")[0],
        epilog="See the module docstring and docs/benchmarks.md for what each figure means.",
    )
    parser.add_argument(
        "--sizes", default=DEFAULT_SIZES, help=f"numbers of models (default {DEFAULT_SIZES})"
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="runs per measurement; medians are reported (default 3)",
    )
    parser.add_argument(
        "--publish-repeats",
        type=int,
        default=1,
        help="runs of the publishing measurement per N (default 1)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="CI-sized: no Dagster refresh, a small in-process template, one run each",
    )
    parser.add_argument(
        "--out",
        default=str(REPO / "docs" / "benchmarks.md"),
        help="the Markdown report (default docs/benchmarks.md)",
    )
    parser.add_argument("--json", help="also write every raw figure as JSON here")
    parser.add_argument(
        "--notes",
        default=str(REPO / "docs" / "benchmark-notes.md"),
        help="hand-written notes appended to the report (default docs/benchmark-notes.md)",
    )
    parser.add_argument("--template", help="a warehouse file to scale from, instead of refreshing")
    parser.add_argument(
        "--archive",
        default=str(REPO / "replay"),
        help="the recorded archive to replay (default replay/)",
    )
    parser.add_argument(
        "--skip-refresh",
        action="store_true",
        help="no Dagster refresh; build the template in-process",
    )
    parser.add_argument(
        "--skip", default="", help=f"tasks to leave out, comma-separated ({', '.join(TASKS)})"
    )
    parser.add_argument(
        "--pandas-max-gb",
        type=float,
        default=14.0,
        help="skip the pandas baseline above this estimated size (default 14)",
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="seed of the synthetic data (default 1)"
    )
    parser.add_argument("--work", help="working folder (default: a new temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the synthetic warehouses")
    parser.add_argument(
        "--published-models",
        type=int,
        help="keep at most this many models published (default: the real share)",
    )
    parser.add_argument(
        "--report-from",
        metavar="JSON",
        help="measure nothing: rewrite the report from the figures a --json run saved",
    )
    parser.add_argument("--worker", choices=(*TASKS, "all"), help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--scratch", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        skip = tuple(t for t in args.skip.split(",") if t)
        figures = worker(
            args.worker, Path(args.db), args.n, Path(args.scratch), args.pandas_max_gb, skip
        )
        print(json.dumps(figures))
        return 0
    if args.quick:
        args.repeats = min(args.repeats, 1) if args.repeats == 3 else args.repeats
    args.skip = tuple(t for t in args.skip.split(",") if t)
    if "pandas" not in args.skip and not args.report_from:
        try:
            import pandas  # noqa: F401
        except ImportError:
            sys.stderr.write(
                "benchmark: the pandas baseline needs the dev tools: run scripts/setup --dev"
                " first (or leave the baseline out with --skip pandas)\n"
            )
            return 2
    if args.report_from:
        results = json.loads(Path(args.report_from).read_text())
    else:
        results = run(args)
    if args.notes and Path(args.notes).is_file():
        results["notes"] = Path(args.notes).read_text()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(report(results))
    if args.json and not args.report_from:
        saved = {k: v for k, v in results.items() if k != "notes"}
        Path(args.json).write_text(json.dumps(saved, indent=2, default=str))
    print(f"benchmark: report written to {args.out}")
    if not results["quick"]:
        for target, measured, met in verdicts(results):
            print(f"  {met:>12}  {target}: {measured}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
