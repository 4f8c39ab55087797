"""The JSON contract (v1) on a real release built from the bundled archive: every file matches
its JSON Schema, facts cite responses that resolve, ``last_reviewed`` is the oldest
``verified_at`` shown, no document but the index and manifest carries the run time, and the
Llama 3.2 11B Vision Instruct vs Magistral Small 2509 pair states the recorded figures."""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import hashlib
import json
import re
import shutil

import duckdb
import jsonschema_rs
import pytest

from modelcompare import export
from tests._release import PAIR, Built

LLAMA, MAGISTRAL = "llama-3.2-11b-vision-instruct", "magistral-small-2509"


@pytest.fixture(scope="module")
def built(refreshed) -> Built:
    return Built.from_refresh(refreshed)


@pytest.fixture(scope="module")
def files(built) -> dict[str, bytes]:
    return built.files()


@pytest.fixture(scope="module")
def pair(built) -> dict:
    return built.pair()


def _facts(node):
    """Every fact object in a document, found independently of export.iter_facts."""
    if isinstance(node, dict):
        if {"value", "unit", "verified_at", "sources"} <= node.keys():
            yield node
        for key, child in node.items():
            if key not in ("sources", "statements"):
                yield from _facts(child)
    elif isinstance(node, list):
        for child in node:
            yield from _facts(child)


def test_every_file_of_the_release_matches_the_contract(files, built):
    kinds = {export.kind_of(path) for path in files}
    assert kinds == {"index", "catalog", "changes", "manifest", "model", "pair", "schema", "page"}
    # Every file, through the same check the publish step blocks on (JSON Schemas first).
    assert export.validate_documents(files) == len(files)
    # The refresh's publish step checked every file of this first release before writing any.
    assert built.published_counts() == {
        "written": len(files), "linked": 0, "checked": len(files), "release_id": built.release_dir.name
    }  # fmt: skip


def test_schemas_are_draft_2020_12_and_refuse_broken_documents(pair):
    validators = export.schema_validators()
    assert set(validators) == {"defs", "index", "catalog", "model", "pair", "changes", "manifest"}
    for validator in validators.values():
        assert isinstance(validator, jsonschema_rs.Draft202012Validator)
    for path in sorted(export.SCHEMA_DIR.glob("*.schema.json")):
        schema = json.loads(path.read_bytes())
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema", path.name
        assert export.document_errors(f"v1/schemas/{path.name}", path.read_bytes()) == []
    check = validators["pair"]
    assert not list(check.iter_errors(pair))

    broken = copy.deepcopy(pair)
    broken["prices"]["input"]["pct_cheaper"] = 150.0  # "150% cheaper" cannot be stated
    assert any(
        "150.0 is greater than the maximum of 100" in e.message for e in check.iter_errors(broken)
    )

    broken = copy.deepcopy(pair)
    broken["limits"]["context_window"]["a"]["sources"] = []  # a known value with no source
    assert list(check.iter_errors(broken))

    broken = copy.deepcopy(pair)
    del broken["release_date"]["b"]["missing"]  # an unknown value must say why
    assert list(check.iter_errors(broken))

    broken = copy.deepcopy(pair)
    broken["sources"][next(iter(broken["sources"]))]["url"] = "javascript:alert(1)"
    assert list(check.iter_errors(broken))

    broken = copy.deepcopy(pair)
    broken["prices"]["input"]["statement"] = "the ad-hoc field this contract replaced"
    assert any("'statement' was unexpected" in e.message for e in check.iter_errors(broken))


def test_contract_checks_beyond_the_schema(pair):
    body = export.dumps(pair)
    assert export.document_errors(f"v1/pairs/{PAIR}.json", body) == []

    # A schema error names the file and the place inside the document.
    broken = copy.deepcopy(pair)
    broken["prices"]["input"]["pct_cheaper"] = 150.0
    broken["offerings"]["b"][1]["input"]["sources"] = ["not-a-response-id"]
    errors = export.document_errors("v1/pairs/x--y.json", export.dumps(broken))
    assert (
        "v1/pairs/x--y.json: $.prices.input.pct_cheaper: 150.0 is greater than the maximum of 100"
        in errors
    )
    assert any(
        e.startswith("v1/pairs/x--y.json: $.offerings.b[1].input.sources[0]: ") for e in errors
    ), errors

    stamped = copy.deepcopy(pair)
    stamped["last_reviewed"] = "2026-08-21"  # the run date, not the oldest fact shown
    assert any(
        "last_reviewed" in e
        for e in export.document_errors("v1/pairs/x--y.json", export.dumps(stamped))
    )

    dangling = copy.deepcopy(pair)
    dangling["sources"].pop(dangling["limits"]["context_window"]["a"]["sources"][0])
    assert any(
        "missing from sources" in e
        for e in export.document_errors("v1/pairs/x--y.json", export.dumps(dangling))
    )

    repeated = copy.deepcopy(pair)
    repeated["statements"].append(dict(repeated["statements"][0]))
    assert any(
        "same fact" in e
        for e in export.document_errors("v1/pairs/x--y.json", export.dumps(repeated))
    )


def test_manifest_lists_every_file_with_its_hash(files):
    manifest = json.loads(files["v1/manifest.json"])
    listed = manifest["files"]
    assert set(listed) == set(files) - {"v1/manifest.json"}
    for path, entry in listed.items():
        assert entry["sha256"] == hashlib.sha256(files[path]).hexdigest(), path
        assert entry["bytes"] == len(files[path])
    index = json.loads(files["v1/index.json"])
    assert manifest["release_id"] == index["release_id"]
    assert index["site"] == "../site/index.html" and "site/index.html" in files


def test_documents_carry_no_run_time(files):
    index = json.loads(files["v1/index.json"])
    stamp = index["generated_at"].encode()
    carrying = sorted(
        path
        for path, body in files.items()
        if not path.startswith("v1/schemas/") and (stamp in body or b'"generated_at"' in body)
    )
    assert carrying == ["v1/index.json", "v1/manifest.json"]


def test_last_reviewed_is_the_oldest_verified_at_shown(files, pair):
    for path, body in files.items():
        if export.kind_of(path) not in ("model", "pair"):
            continue
        doc = json.loads(body)
        dates = [f["verified_at"] for f in _facts(doc) if f["value"] is not None]
        assert doc["last_reviewed"] == (min(dates) if dates else None), path
    # Meta's model card (fetched 2025-07-15) states the Llama license and release date.
    assert pair["last_reviewed"] == "2025-07-15"
    assert pair["license"]["a"]["verified_at"] == "2025-07-15"


def test_every_cited_response_resolves_to_url_and_fetch_time(files):
    for path, body in files.items():
        if export.kind_of(path) not in ("model", "pair"):
            continue
        doc = json.loads(body)
        cited = {rid for fact in _facts(doc) for rid in fact["sources"]}
        cited |= {rid for s in doc.get("statements", []) for rid in s["sources"]}
        assert cited <= set(doc["sources"]), path
        for entry in doc["sources"].values():
            assert entry["url"].startswith(("https://", "http://")) and entry["fetched_at"]


def test_pair_limits_capabilities_license_and_release(pair):
    assert pair["models"]["a"]["name"] == "Llama 3.2 11B Vision Instruct"
    assert pair["models"]["b"]["id"] == MAGISTRAL
    ctx = pair["limits"]["context_window"]
    assert (ctx["a"]["value"], ctx["b"]["value"], ctx["larger"]) == (128000, 128000, "same")
    caps = pair["capabilities"]
    assert (caps["vision"]["a"]["value"], caps["vision"]["b"]["value"]) == (True, True)
    assert (caps["reasoning"]["a"]["value"], caps["reasoning"]["b"]["value"]) == (False, True)
    assert "reasoning" in caps["only_b"] and caps["only_a"] == []
    assert pair["license"]["a"]["name"] == "Llama 3.2 Community License"
    assert pair["license"]["b"]["name"] == "Apache 2.0"
    assert pair["open_weights"]["a"]["value"] is True and pair["open_weights"]["b"]["value"] is True
    assert pair["release_date"]["a"]["value"] == "2024-09-25"
    assert pair["release_date"]["b"]["value"] is None
    assert pair["release_date"]["b"]["missing"]["reason"] == "no_source"
    meta_card = pair["sources"][pair["release_date"]["a"]["sources"][0]]
    assert meta_card["url"].endswith("/models/llama3_2/MODEL_CARD_VISION.md")
    # Conflicting capability flags keep their type: booleans, like the published value.
    assert {side["value"] for side in caps["vision"]["a"]["conflict"]} == {False}


def test_pair_prices_cite_their_sources(pair):
    inp = pair["prices"]["input"]
    assert (inp["a"]["value"], inp["a"]["provider"]) == (0.015, "lambda")
    assert inp["b"]["value"] == 0.5
    assert (inp["cheaper"], inp["pct_cheaper"]) == ("a", 97.0)
    assert "statement" not in inp
    out = pair["prices"]["output"]
    assert (out["a"]["value"], out["b"]["value"], out["pct_cheaper"]) == (0.025, 1.5, 98.3)
    blended = pair["prices"]["blended"]
    assert (blended["a"]["value"], blended["b"]["value"]) == (0.0175, 0.75)
    assert (blended["b"]["input"], blended["b"]["output"]) == (0.5, 1.5)
    for side in ("a", "b"):
        assert inp[side]["sources"] and inp[side]["verified_at"]

    magistral = {o["provider"]["id"]: o for o in pair["offerings"]["b"]}
    for provider in ("mistral", "aws-bedrock"):
        assert (magistral[provider]["input"]["value"], magistral[provider]["output"]["value"]) == (
            0.5,
            1.5,
        )
    mistral_urls = {pair["sources"][r]["url"] for r in magistral["mistral"]["input"]["sources"]}
    assert "https://mistral.ai/pricing" in {u.rstrip("/") for u in mistral_urls}

    bedrock = next(
        o
        for o in pair["offerings"]["a"]
        if o["provider"]["id"] == "aws-bedrock" and o["region"] is None
    )
    assert bedrock["input"]["value"] == 0.16
    assert [side["value"] for side in bedrock["input"]["conflict"]] == [0.35]
    assert pair["sources"][bedrock["input"]["conflict"][0]["sources"][0]]["source"] == "litellm"
    assert "https://aws.amazon.com/bedrock/pricing/" in {
        pair["sources"][r]["url"] for r in bedrock["input"]["sources"]
    }


def test_pair_monthly_costs_and_shared_facts(pair):
    costs = {c["profile"]["id"]: c for c in pair["monthly_costs"]}
    chat = costs["chat-assistant"]
    assert (chat["a"]["value"], chat["a"]["provider"]) == (3.25, "lambda")
    assert (chat["b"]["value"], chat["b"]["unit"]) == (135.0, "usd_per_month")
    assert chat["cheaper"] == "a" and chat["b"]["sources"]
    assert pair["shared_providers"] == ["aws-bedrock", "vercel"]
    bench = pair["shared_benchmarks"][0]
    assert bench["name"] == "Artificial Analysis Intelligence Index"
    assert (bench["a"]["value"], bench["b"]["value"]) == (3.3, 11.3)
    assert pair["assumptions"]["blend"] == {
        "input_weight": 3, "output_weight": 1, "formula": "(3 × input + 1 × output) / 4"
    }  # fmt: skip


def test_catalog_points_at_every_document(files):
    catalog = json.loads(files["v1/catalog.json"])
    assert catalog["as_of"] == "2026-08-21"
    for entry in catalog["models"] + catalog["pairs"]:
        assert f"v1/{entry['document']}" in files
    models = {f for f in files if f.startswith("v1/models/")}
    assert len(models) == len(catalog["models"])
    published = [m["id"] for m in catalog["models"] if m["published"]]
    assert len(catalog["pairs"]) == len(published) * (len(published) - 1) // 2
    assert {LLAMA, MAGISTRAL} <= set(published)
    stale = {s["source"]: s["freshness"] for s in catalog["sources"]}
    assert stale["meta_cards"] == "stale" and stale["page_mistral"] == "fresh"


# --- JSON encoding --------------------------------------------------------------------------
def test_dumps_writes_the_layout_and_values_json_dumps_wrote():
    doc = {
        "z": 1,
        "a": {"é": "naïve “quoted” \n\t\u2028 😀 <b>", "list": [1, 2.5, None, True], "e": {}},
        "whole": decimal.Decimal("135.000000000"),
        "exact": decimal.Decimal("0.015000000000"),
        "long": decimal.Decimal("0.12345678901234567890"),
        "huge": decimal.Decimal("1E+20"),
        "tokens": decimal.Decimal("128000"),
        "when": dt.datetime(2026, 8, 21, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        "day": dt.date(2026, 8, 21),
        "pair": (1, "x"),
        "top": 2**64 - 1,
        "bottom": -(2**63),
    }
    plain = {
        "z": 1,
        "a": doc["a"],
        "whole": 135,  # integral: an int
        "exact": 0.015,  # the float repr gives back the same decimal
        "long": "0.1234567890123456789",  # more digits than a double holds: text
        "huge": 1e20,
        "tokens": 128000,
        "when": "2026-08-21T10:30:00Z",
        "day": "2026-08-21",
        "pair": [1, "x"],
        "top": 2**64 - 1,
        "bottom": -(2**63),
    }
    body = export.dumps(doc)
    # Same bytes as the standard library's encoder: keys in insertion order (not sorted), two
    # spaces, raw UTF-8, a final newline.
    assert body == (json.dumps(plain, indent=2, ensure_ascii=False) + "\n").encode()
    assert list(json.loads(body)) == list(doc)


def test_dumps_writes_small_floats_with_a_short_exponent():
    # The one layout change orjson brought: json.dumps wrote 1e-07 and 2.5e-07. Same numbers.
    body = export.dumps({"v": decimal.Decimal("0.000000100000"), "w": 2.5e-07})
    assert body == b'{\n  "v": 1e-7,\n  "w": 2.5e-7\n}\n'
    assert json.loads(body) == {"v": 1e-07, "w": 2.5e-07}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"v": {"x": [decimal.Decimal("NaN")]}}, "$.v.x[0]: not a finite number: NaN"),
        ({"v": decimal.Decimal("-Infinity")}, "$.v: not a finite number: -Infinity"),
        ({"n": [2**64]}, f"$.n[0]: integer wider than 64 bits: {2**64}"),
        ({"n": -(2**63) - 1}, f"$.n: integer wider than 64 bits: {-(2**63) - 1}"),
        ({"m": {1: "x"}}, "$.m: key 1 is not text"),
        ({"t": dt.time(12)}, "$.t: time has no JSON form"),
        ({"o": [object()]}, "$.o[0]: object has no JSON form"),
    ],
    ids=[
        "decimal-nan",
        "decimal-infinity",
        "int-65-bits",
        "int-below-i64",
        "int-key",
        "time",
        "object",
    ],
)
def test_dumps_refuses_what_json_cannot_carry_and_says_where(doc, message):
    with pytest.raises(export.NotPublishable) as refused:
        export.dumps(doc)
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("select 1 as n, 'nan'::double as pct", "pct: not a finite number: nan"),
        ("select 'inf'::float as x", "x: not a finite number: inf"),
        ("select {'id': 'x', 'price': '-inf'::double} as cheapest", "cheapest.price: not a finite"),
        ("select [1.5::double, 'nan'::double] as xs", "xs: not a finite number: nan"),
        ("select [{'v': 'nan'::double}] as sides", "sides.v: not a finite number: nan"),
        ("select map(['a'], ['nan'::double]) as m", "m.a: not a finite number: nan"),
    ],
    ids=["double", "float", "struct", "list", "list-of-struct", "map"],
)
def test_a_non_finite_float_from_the_warehouse_is_refused_not_published_as_null(sql, message):
    # orjson writes NaN and infinities as null without a word: every value a document shows is
    # read through export._rows, which refuses them (at any depth).
    con = duckdb.connect()
    with pytest.raises(export.NotPublishable, match=re.escape(message)):
        export._rows(con, sql)
    assert export._rows(con, "select 1.5::double as x, 'nan' as t, [2.0::float] as l") == [
        {"x": 1.5, "t": "nan", "l": [2.0]}
    ]


def test_a_non_finite_blend_weight_is_refused():
    with pytest.raises(export.NotPublishable, match=r"blend\.output_weight: not a finite number"):
        export.build_documents(
            duckdb.connect(), dt.date(2026, 8, 21), {"input_weight": 3, "output_weight": 1e400}
        )


def test_a_nan_in_the_warehouse_stops_the_release_instead_of_becoming_null(built, tmp_path):
    """End to end: a NaN percentage in the published pairs' facts never reaches a document."""
    copy_path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built.warehouse, copy_path)
    con = duckdb.connect(str(copy_path))
    con.execute("alter view compare.pair_facts_readable rename to pair_facts_readable_real")
    con.execute(
        "create view compare.pair_facts_readable as select * replace"
        " ('nan'::double as input_pct_cheaper) from compare.pair_facts_readable_real"
    )
    with pytest.raises(export.NotPublishable, match="input_pct_cheaper: not a finite number: nan"):
        export.build_documents(con, dt.date(2026, 8, 21), {"input_weight": 3, "output_weight": 1})


# --- the contract check ---------------------------------------------------------------------
def _schema_patterns() -> list[str]:
    found = set()

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str):
                found.add(node["pattern"])
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    for path in export.SCHEMA_DIR.glob("*.schema.json"):
        walk(json.loads(path.read_bytes()))
    return sorted(found)


PROBES = [
    "", "2026-08-21", "2026-8-21", "x2026-08-21", "٢٠٢٦-٠٨-٢١", "2026-08-21T10:30:00Z",
    "2026-08-21T10:30:00.123Z", "2026-08-21T10:30:00+00:00", "0123456789abcdef",
    "0123456789ABCDEF", "0123456789abcdef0123", "0123456789abcdef01234", "a" * 64, "g" * 64,
    "1", "-1.5", "1.", ".5", "+1", "1e5", "https://x.org/a", "http://", "HTTPS://x",
    "javascript:alert(1)", "models/a-1.2.json", "pairs/a--b.json", "models/A.json",
    "models/a.json/x", "a--b", "a-b", "a--b--c", "v1/pairs/a--b.json", "site/pairs/a.html",
    "v2/x", "v1/ä.json", "x.json",
]  # fmt: skip


@pytest.mark.parametrize("pattern", _schema_patterns())
def test_schema_patterns_mean_in_rust_what_they_meant_in_python(pattern):
    """jsonschema-rs runs patterns on Rust's regex engine, python-jsonschema ran re.search. For
    the patterns the schemas use the two agree, except that Python's ``$`` also matched before
    a final newline ("2026-08-21\\n" was a date); the Rust engine refuses that."""
    check = export._validator({"$schema": export.DRAFT_2020_12, "pattern": pattern})
    assert PROBES and any(re.search(pattern, p) for p in PROBES), "no probe matches"
    for probe in PROBES:
        assert check.is_valid(probe) == bool(re.search(pattern, probe)), probe
        with_newline = probe + "\n"
        if pattern.endswith("$"):
            assert not check.is_valid(with_newline), with_newline
        else:
            assert check.is_valid(with_newline) == bool(re.search(pattern, with_newline))


def test_a_date_with_a_final_newline_is_refused():
    body = export.dumps({"schema_version": "1.0", "kind": "catalog", "as_of": "2026-08-21\n"})
    errors = export.document_errors("v1/catalog.json", body, limit=20)
    assert (
        'v1/catalog.json: $.as_of: "2026-08-21\\n" does not match "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"'
        in errors
    )


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b'{"as_of": NaN}', "not JSON (unexpected character"),
        (b'{"as_of": -Infinity}', "not JSON (no digit after sign"),
        (b'{"as_of": 1e400}', "not JSON (number is infinity"),
    ],
    ids=["nan", "infinity", "overflow"],
)
def test_non_standard_json_numbers_are_not_json(body, error):
    errors = export.document_errors("v1/catalog.json", body)
    assert len(errors) == 1 and errors[0].startswith(f"v1/catalog.json: {error}"), errors


@pytest.mark.parametrize(
    ("schema", "error"),
    [
        ({"type": "object"}, "not a Draft 2020-12 schema"),
        ({"type": "nope"}, '$.type: "nope" is not valid under any of the schemas'),
        ({"properties": {"a": {"pattern": "("}}}, '$.properties.a.pattern: "(" is not a "regex"'),
        ({"pattern": "(?<=a)b"}, '$.pattern: "(?<=a)b" is not a "regex"'),  # no lookaround
        ({"$ref": "https://example.invalid/other.json"}, "is not one of the v1 schemas"),
    ],
    ids=["no-draft", "bad-type", "bad-regex", "lookaround", "outside-ref"],
)
def test_a_broken_schema_file_is_refused_without_fetching_anything(schema, error):
    if schema != {"type": "object"}:
        schema = {"$schema": export.DRAFT_2020_12, **schema}
    errors = export.document_errors("v1/schemas/x.schema.json", export.dumps(schema))
    assert len(errors) == 1 and errors[0].startswith("v1/schemas/x.schema.json: ")
    assert error in errors[0]


def test_facts_and_citations_are_found_at_any_depth_but_not_in_statements():
    inner = {"value": 2, "unit": "x", "verified_at": "2026-01-02", "sources": ["r2"]}
    outer = {"value": 1, "unit": "x", "verified_at": "2026-01-01", "sources": ["r1"],
             "conflict": [inner]}  # fmt: skip
    last = {"value": None, "unit": None, "verified_at": None, "sources": []}
    said = {"value": 3, "unit": "x", "verified_at": "2020-01-01", "sources": ["r3"]}
    doc = {
        "a": outer,
        "statements": [said, {"text": "…", "sources": ["r4"]}],
        "deep": [[{"b": last}], "text", 5],
        "sources": {"r1": {"sources": ["r5"]}},
    }
    assert [id(f) for f in export.iter_facts(doc)] == [id(outer), id(inner), id(last)]
    assert export._cited(doc, set()) == {"r1", "r2", "r3", "r4", "r5"}
    assert not list(export.iter_facts([{"sources": [said]}, "x"]))
