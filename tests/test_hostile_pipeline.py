"""The whole pipeline, through Dagster, on a small archive of hostile responses.

One refresh (module fixture) over two fetch dates. On 2026-04-30 every source says something
plain; on 2026-05-01 they turn hostile: markup and script in every text field, ids made of path
separators, NUL, look-alike letters and right-to-left overrides, an SQL string as an id,
numbers that are negative, NaN, 1e309 or hundreds of digits, a date that does not exist, a
YAML alias bomb, a tarball that unpacks without bound, a page of thousands of nested tables,
a page over the size cap, a page that lies about its charset and one in UTF-16.

What must hold: each source that cannot be read fails only its own step, with a message that
says why, and keeps its last good data; the rest is loaded, flagged where it is wrong; the
release is published whole; every string is intact in JSON and escaped in the pages; every
file name comes from ``safe_slug``; and nothing is written outside the export folder (besides
the warehouse file the run is given).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tempfile

import dagster as dg
import pytest
import yaml
from bs4 import BeautifulSoup

from modelcompare.parsers import models_dev
from modelcompare.slugs import safe_slug
from tests.hostile import inputs
from tests.hostile.pipeline import (
    Layout,
    documents,
    pages,
    query,
    refresh,
    strings,
    tree,
    whole_release,
)

GOOD_DAY = dt.datetime(2026, 4, 30, 12, 0, tzinfo=dt.UTC)
OR_URL = "https://openrouter.ai/api/v1/models"
LITELLM_URL = (
    "https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json"
)
GENAI_URL = "https://raw.githubusercontent.com/pydantic/genai-prices/main/prices/providers/aws.yml"
LLM_PRICES_URL = "https://raw.githubusercontent.com/simonw/llm-prices/main/data/mistral.json"
AA_URL = "https://raw.githubusercontent.com/Prajwalsrinvas/token-tariff/main/aa_models.json"
MODELS_DEV_URL = "https://github.com/anomalyco/models.dev/archive/refs/heads/dev.tar.gz"
CARD_2509 = "https://huggingface.co/mistralai/Magistral-Small-2509/raw/main/README.md"
CARD_2506 = "https://huggingface.co/mistralai/Magistral-Small-2506/raw/main/README.md"
FILLERS = 100
# Text-bearing fields of the hostile day, each set to a distinct hostile string.
HOSTILE_NAMES = {f"evil/{i:02d}": text for i, text in enumerate(inputs.MARKUP)}
HOSTILE_IDS = [*inputs.PATHY, *inputs.LOOKALIKE, *inputs.LONG, inputs.SQL]
PROVIDER_MARKUP = inputs.MARKUP[4]  # <mc-evil>mcxss-5</mc-evil>
LICENSE_MARKUP = inputs.MARKUP[0]  # <script>alert("mcxss-1")</script>
BENCH_MARKUP = "<b>mcxss-bench</b>"


def _price(prompt="0.000001", completion="0.000002") -> dict:
    return {"prompt": prompt, "completion": completion}


def _openrouter() -> bytes:
    entries = [
        # the published models, named and described with markup
        {"id": "mistralai/magistral-small-2509", "name": inputs.MARKUP[1], "context_length": 40000,
         "hugging_face_id": "javascript:mcxss(4)", "canonical_slug": "../../etc/passwd",
         "pricing": _price("0.0000005", "0.0000015")},
        {"id": "mistralai/magistral-small-2506", "name": inputs.MARKUP[2], "context_length": 40000,
         "pricing": _price("0.0000005", "0.000002")},
        # numbers no price can be, and a date that does not exist
        {"id": "evil/numbers", "name": "Numbers", "context_length": int("9" * 300),
         "knowledge_cutoff": "2025-02-30", "created": 10**30,
         "pricing": {"prompt": "-0.5", "completion": "1e309", "image": "NaN",
                     "request": "1" + "0" * 400, "input_cache_read": "Infinity"}},
        {"id": "evil/surrogate", "name": "a\ud800b", "context_length": 4096, "pricing": _price()},
    ]  # fmt: skip
    entries += [
        {"id": rid, "name": text, "context_length": 8192, "pricing": _price()}
        for rid, text in HOSTILE_NAMES.items()
    ]
    entries += [
        {"id": rid, "name": f"id {i}", "context_length": 8192, "pricing": _price()}
        for i, rid in enumerate(HOSTILE_IDS)
    ]
    return inputs.openrouter_models(entries, filler=FILLERS)


def _litellm() -> bytes:
    body = {
        f"p{j}/filler/model-{i:03d}": {"litellm_provider": f"p{j}", "input_cost_per_token": 1e-06}
        for j in range(5)
        for i in range(FILLERS)
    }
    body[f"{inputs.MARKUP[1]}/magistral-small-2509"] = {
        "litellm_provider": PROVIDER_MARKUP,
        "input_cost_per_token": 4e-07,
        "output_cost_per_token": 1.2e-06,
    }
    body["evil/huge-price"] = {
        "litellm_provider": "evil",
        "input_cost_per_token": 12345678901234567890,  # overflows DECIMAL(38, 18) * 1e6
        "tiered_pricing": [{"input_cost_per_token": 1e-06, "range": [10**30, 10**31]}],
    }
    return json.dumps(body).encode()


def _aa() -> bytes:
    body = {f"model-{i:03d}": {"intelligence": 40.5, "speed": 100} for i in range(FILLERS)}
    body[inputs.MARKUP[5]] = {"intelligence": 1, "coding": -3}
    return json.dumps(body).encode()


def _card(front: str, body: str) -> bytes:
    return f"---\n{front}---\n{body}".encode()


CARD_BODY = f"""# Magistral Small 1.2

Magistral Small with a 128k context window.

| Model | {BENCH_MARKUP.replace("<", "&lt;").replace(">", "&gt;")} | AIME24 |
|---|---|---|
| Magistral Small 1.2 | 51.2 | 86.1 |
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    layout = Layout(root)
    # 2026-04-30: plain data, so that failing sources have a last good slice
    genai_good = {
        "id": "aws",
        "name": "AWS",
        "models": [
            {"id": "magistral-small-2509", "match": {"equals": "magistral-small-2509"},
             "prices": {"input_mtok": 0.5, "output_mtok": 1.5}},
        ],
    }  # fmt: skip
    layout.put("genai_prices", GENAI_URL, yaml.safe_dump(genai_good).encode(), GOOD_DAY)
    page = (
        b"<h2>Prices per 1M tokens</h2><table><tr><th>Model</th><th>Input</th><th>Output</th>"
        b"</tr><tr><td>magistral-small-2509</td><td>$0.50</td><td>$1.50</td></tr></table>"
    )
    layout.put("page_mistral", "https://mistral.ai/pricing", page, GOOD_DAY)
    # 2026-05-01: hostile
    layout.put("openrouter", OR_URL, _openrouter())
    layout.put("litellm", LITELLM_URL, _litellm())
    layout.put("aa_benchmarks", AA_URL, _aa())
    layout.put(
        "genai_prices", GENAI_URL, (inputs.billion_laughs() + "id: aws\nmodels: *l8\n").encode()
    )
    vendor = {
        "vendor": PROVIDER_MARKUP,
        "models": [
            {"id": "magistral-small-2509", "name": inputs.MARKUP[6], "price_history": [
                {"input": 0.5, "output": 1.5, "from_date": "2025-02-30", "to_date": None},
                {"input": 0.5, "output": 1.5, "from_date": "2025-03-01", "to_date": None}]},
        ],
    }  # fmt: skip
    layout.put("llm_prices", LLM_PRICES_URL, json.dumps(vendor).encode())
    front = (
        f"license: '{LICENSE_MARKUP}'\nbase_model: 'javascript:mcxss(4)'\n"
        "library_name: transformers\n"
    )
    layout.put("hf_cards", CARD_2509, _card(front, CARD_BODY))
    layout.put("hf_cards", CARD_2506, _card("license: apache-2.0\nlicense: mit\n", "# Card\n"))
    layout.put(
        "models_dev", MODELS_DEV_URL, inputs.tar_bomb("dev/providers/p/models/m.toml", 8 << 20)
    )
    layout.put("page_groq", "https://groq.com/pricing", inputs.nested_tables(3000))
    layout.put("page_mistral", "https://mistral.ai/pricing", b"<p>" + b"x" * 20_000_001)
    layout.put(
        "page_deepinfra",
        "https://deepinfra.com/pricing",
        page.replace(b"magistral-small-2509", "Magistral Small — café".encode()),
        content_type="text/html; charset=iso-8859-1",
    )
    layout.put(
        "page_together", "https://www.together.ai/pricing", page.decode().encode("utf-16"),
        content_type="text/html; charset=utf-16",
    )  # fmt: skip

    before = tree(root)
    scratch = root / "scratch"  # the temp files a run makes go here, to be seen
    scratch.mkdir()
    mp = pytest.MonkeyPatch()
    mp.setattr(tempfile, "tempdir", str(scratch))
    mp.setattr(models_dev, "MAX_UNPACKED_BYTES", 4 << 20)  # the bomb unpacks to 8 MiB
    try:
        with dg.DagsterInstance.ephemeral() as instance:
            outcome = refresh(layout, instance)
    finally:
        mp.undo()
    return {"layout": layout, "outcome": outcome, "before": before, "after": tree(root)}


def _failure(run, source: str) -> str:
    failed = run["outcome"].failed_steps
    keys = [k for k in failed if k == f"raw__{source}"]
    assert keys, f"{source} did not fail; failed steps: {sorted(failed)}"
    return failed[keys[0]]


def _loads(run, source: str) -> list[tuple]:
    return query(
        run["layout"].db,
        "select fetch_date::varchar, status, error from raw.source_loads where source = ? "
        "order by loaded_at",
        [source],
    )


# --- each source: its own outcome -----------------------------------------------------------
@pytest.mark.parametrize(
    "source, reason",
    [
        ("genai_prices", r"aliases expand to more than 1,000,000 nodes"),
        ("models_dev", r"unpacks to more than 4,194,304 bytes; refused as a decompression bomb"),
        ("page_mistral", r"20000004 bytes at https://mistral.ai/pricing is too large for a page"),
        ("page_together", r"no price table found"),
    ],
)
def test_unreadable_source_fails_only_its_own_step_and_says_why(run, source, reason):
    assert re.search(reason, _failure(run, source))
    assert re.search(reason, _loads(run, source)[-1][2])
    assert _loads(run, source)[-1][:2] == ("2026-05-01", "failed")


def test_only_the_unreadable_sources_fail_and_the_release_is_published(run):
    failed = set(run["outcome"].failed_steps)
    assert failed == {
        "raw__genai_prices",
        "raw__models_dev",
        "raw__page_mistral",
        "raw__page_together",
    }, run["outcome"].failed_steps
    assert "publish__release" in run["outcome"].succeeded_steps
    whole_release(run["layout"].exports)


@pytest.mark.parametrize("source", ["genai_prices", "page_mistral"])
def test_failing_source_keeps_its_last_good_data(run, source):
    rows = query(
        run["layout"].db,
        "select distinct fetch_date::varchar from raw.observations where source = ?",
        [source],
    )
    assert rows == [("2026-04-30",)]
    catalog = documents(run["layout"].exports)["catalog.json"]
    status = {s["source"]: s for s in catalog["sources"]}[source]
    assert status["last_good_fetch_date"] == "2026-04-30"
    assert status["freshness"] != "fresh"


def test_page_of_thousands_of_nested_tables_loads_what_it_can_and_says_the_rest(run):
    rows = query(
        run["layout"].db,
        "select count(*) from raw.observations where source = 'page_groq' and attribute = "
        "'price_input'",
    )
    assert rows == [(8,)]  # the eight outer tables; the rest nest deeper than anything real
    (reason,) = query(
        run["layout"].db, "select reason from raw.parse_issues where source = 'page_groq'"
    )[0]
    assert reason == "2992 table(s) nested more than 8 deep were not read"


def test_page_that_lies_about_its_charset_is_read_and_flagged(run):
    names = query(
        run["layout"].db,
        "select distinct raw_id from raw.observations where source = 'page_deepinfra'",
    )
    assert names == [("Magistral Small — café",)]
    issues = query(
        run["layout"].db, "select reason from raw.parse_issues where source = 'page_deepinfra'"
    )
    assert issues == [("declared charset 'iso-8859-1' but the bytes are UTF-8; read as UTF-8",)]


@pytest.mark.parametrize(
    "locator, reason",
    [
        ("/data/2/pricing/prompt", "not a finite number >= 0: '-0.5'"),
        ("/data/2/pricing/completion", "out of range: '1e309'"),
        ("/data/2/pricing/image", "not a finite number >= 0: 'NaN'"),
        ("/data/2/pricing/request", "out of range: '1000000000"),
        ("/data/2/pricing/input_cache_read", "not a finite number >= 0: 'Infinity'"),
        ("/data/2/context_length", "out of range: '999999999"),
        ("/data/2/created", "not a Unix timestamp"),
        ("/data/3", "name: not stored: value holds an unpaired surrogate ('a\\ud800b')"),
    ],
)
def test_impossible_values_become_specific_issues(run, locator, reason):
    rows = query(
        run["layout"].db,
        "select reason from raw.parse_issues where source = 'openrouter' and locator like ?",
        [locator + "%"],
    )
    assert any(reason in r[0] for r in rows), rows


def test_rest_of_a_record_with_bad_numbers_is_still_loaded(run):
    rows = query(
        run["layout"].db,
        "select attribute, value from raw.observations where raw_id = 'evil/numbers' "
        "order by attribute",
    )
    assert ("knowledge_cutoff", "2025-02-30") in rows and ("name", "Numbers") in rows


def test_date_that_does_not_exist_is_a_flagged_row_never_a_fact(run):
    rows = query(
        run["layout"].db,
        "select flag from core.typed_observations where raw_id = 'evil/numbers' "
        "and attribute = 'knowledge_cutoff'",
    )
    assert rows == [("unparseable",)]
    rows = query(
        run["layout"].db,
        "select reason from raw.parse_issues where source = 'llm_prices'",
    )
    assert rows and "2025-02-30" in rows[0][0]


def test_number_that_would_overflow_sql_is_an_issue_and_facts_still_build(run):
    rows = query(
        run["layout"].db,
        "select reason from raw.parse_issues where source = 'litellm' and raw_id = 'evil/huge-price'",
    )
    reasons = " | ".join(r[0] for r in rows)
    assert "out of range: '12345678901234567890'" in reasons
    assert "tier_min_tokens out of range" in reasons
    assert "core__facts" in run["outcome"].succeeded_steps


def test_card_with_repeated_front_matter_key_is_flagged_and_its_body_read(run):
    rows = query(
        run["layout"].db,
        "select reason from raw.parse_issues where source = 'hf_cards' and reason like '%repeated%'",
    )
    assert rows == [
        (
            "front matter refused: key 'license' is repeated (line 2); which value the card "
            "means is unknown",
        )
    ]


# --- SQL -------------------------------------------------------------------------------------
def test_sql_in_an_id_is_stored_verbatim_and_runs_nowhere(run):
    db = run["layout"].db
    assert query(db, "select count(*) from raw.observations where raw_id = ?", [inputs.SQL])[0][0]
    assert query(db, "select count(*) from raw.observations")[0][0] > 1000
    tables = {
        r[0]
        for r in query(
            db, "select table_schema || '.' || table_name from information_schema.tables"
        )
    }
    assert {"raw.observations", "raw.responses", "raw.source_loads", "raw.parse_issues"} <= tables


# --- JSON: every string intact ----------------------------------------------------------------
def test_markup_survives_intact_as_text_in_json(run):
    docs = documents(run["layout"].exports)
    names = {d["id"]: d["name"] for d in docs.values() if d.get("kind") == "model"}
    for text in list(HOSTILE_NAMES.values()):
        assert text in names.values(), text
    found = {s for d in docs.values() for s in strings(d)}
    assert PROVIDER_MARKUP in found  # a provider named with markup
    assert f"{inputs.MARKUP[1]}/magistral-small-2509" in found  # a raw id with markup
    assert LICENSE_MARKUP.lower() in found  # a license (lower-cased by the facts layer)
    assert BENCH_MARKUP in found  # a benchmark name


def test_json_files_are_strict_json_without_nan(run):
    current = run["layout"].exports / "current"
    for path in current.rglob("*.json"):
        json.loads(path.read_bytes(), parse_constant=_refuse_constant)


def _refuse_constant(name):
    raise AssertionError(f"non-standard JSON constant {name}")


# --- file names -----------------------------------------------------------------------------
def test_every_export_file_name_is_a_safe_slug_and_ids_get_distinct_files(run):
    exports = run["layout"].exports
    docs = documents(exports)
    catalog = docs["catalog.json"]
    model_files = [m["document"] for m in catalog["models"]]
    assert len(set(model_files)) == len(model_files) == len(catalog["models"])
    for entry in catalog["models"]:
        assert entry["document"] == f"models/{safe_slug(entry['id'])}.json"
        assert docs[entry["document"]]["id"] == entry["id"]
    for path in exports.rglob("*"):
        name = path.name
        assert re.fullmatch(r"[a-z0-9][a-z0-9.\-]*", name), name
        assert path.resolve().is_relative_to(exports.resolve()), path


def test_hostile_ids_reach_the_catalog_under_safe_names(run):
    catalog = documents(run["layout"].exports)["catalog.json"]
    ids = {m["id"] for m in catalog["models"]}
    weird = [i for i in ids if safe_slug(i) != i]
    assert len(weird) >= 10  # path-like, look-alike and long ids became models
    assert all(len(safe_slug(i)) <= 120 for i in ids)


# --- nothing outside the export folder ---------------------------------------------------------
def test_nothing_is_written_outside_the_export_folder(run):
    before, after = run["before"], run["after"]
    changed = {p for p in set(before) | set(after) if before.get(p) != after.get(p)}
    warehouse = re.compile(r"^warehouse\.duckdb(\.wal|\.tmp(/.*)?)?$")
    outside = sorted(p for p in changed if not p.startswith("exports/") and not warehouse.match(p))
    assert outside == []
    assert not any(p.startswith("archive/") for p in changed)  # replay never writes the archive


# --- pages ------------------------------------------------------------------------------------
def test_pages_show_markup_as_text_never_as_markup(run):
    site = pages(run["layout"].exports)
    assert site, "the release has no pages"
    shown = ""
    for path, html in site.items():
        soup = BeautifulSoup(html, "html.parser")
        assert soup.find("mc-evil") is None, path
        for tag in soup.find_all(True):
            assert not tag.name.startswith("mc"), (path, tag.name)
            for attr, value in tag.attrs.items():
                assert not attr.lower().startswith("on"), (path, tag.name, attr)
                values = value if isinstance(value, list) else [value]
                if attr.lower() in ("href", "src", "action", "formaction", "xlink:href"):
                    assert not any(v.strip().lower().startswith("javascript:") for v in values)
        for script in soup.find_all("script"):
            assert "mcxss" not in script.get_text(), path
        shown += soup.get_text(" ")
    # what the facts of the published models carry is shown, as text
    assert LICENSE_MARKUP.lower() in shown
    assert PROVIDER_MARKUP in shown
