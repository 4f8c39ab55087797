"""Each source's parser fed hostile bytes: a specific error, or a flagged row and the rest kept.

No Dagster and no DuckDB here (the pipeline test does those). Inputs are built in the test.
Where the old code was quadratic or worse, the test bounds the CPU time it may take with room
to spare on a slow machine; the old code took minutes on the same input.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import time

import pytest

from modelcompare.archive import ArchivedResponse
from modelcompare.observations import SourceLayoutError
from modelcompare.parsers import _html, models_dev
from modelcompare.parsers.aa_benchmarks import parse_aa_models
from modelcompare.parsers.genai_prices import parse_provider_yaml
from modelcompare.parsers.litellm import parse_price_map
from modelcompare.parsers.llm_prices import parse_vendor
from modelcompare.parsers.model_cards import parse_hf_card, parse_meta_card
from modelcompare.parsers.models_dev import parse_archive
from modelcompare.parsers.openrouter import parse_models
from modelcompare.parsers.pricing_pages import decode_page, parse_pricing_page, price_attribute
from tests.hostile import inputs

WHEN = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
OR_URL = "https://openrouter.ai/api/v1/models"
MD_URL = "https://github.com/anomalyco/models.dev/archive/refs/heads/dev.tar.gz"
HF_URL = "https://huggingface.co/acme/Tiny-7B/raw/main/README.md"
META_URL = "https://raw.githubusercontent.com/meta-llama/llama-models/main/models/x/MODEL_CARD.md"
PAGE_URL = "https://groq.com/pricing"
GOOD_TOML = b"name = 'Good'\n[limit]\ncontext = 8192\n[cost]\ninput = 1.0\n"
PAGE = (
    "<h2>Prices per 1M tokens</h2><table><tr><th>Model</th><th>Input</th><th>Output</th></tr>"
    "<tr><td>{name}</td><td>{input}</td><td>$2</td></tr></table>"
)


def response(source: str, url: str, body: bytes, **kw) -> ArchivedResponse:
    return ArchivedResponse.from_bytes(source, url, body, WHEN, **kw)


def reasons(result) -> str:
    return " | ".join(f"{i.locator}: {i.reason}" for i in result.issues)


def values(result, raw_id: str, attribute: str) -> list[str | None]:
    return [o.value for o in result.observations if o.raw_id == raw_id and o.attribute == attribute]


def cpu(fn):
    """(result, CPU seconds) of ``fn()``."""
    start = time.process_time()
    out = fn()
    return out, time.process_time() - start


# --- OpenRouter (JSON API) ---------------------------------------------------------------------
def _models(*entries: dict):
    return parse_models(
        response("openrouter", OR_URL, inputs.openrouter_models(list(entries), filler=1))
    )


@pytest.mark.parametrize("text", inputs.MARKUP + (inputs.SQL,))
def test_openrouter_markup_in_name_and_id_is_kept_verbatim(text):
    result = _models({"id": f"x/{text}", "name": text, "pricing": {"prompt": "0.000001"}})
    assert values(result, f"x/{text}", "name") == [text]
    assert not result.issues


def test_openrouter_json_nested_100000_deep_is_a_layout_error():
    with pytest.raises(SourceLayoutError, match="nests JSON arrays or objects too deeply"):
        parse_models(response("openrouter", OR_URL, inputs.deep_json(100_000)))


@pytest.mark.parametrize(
    "field, raw, reason",
    [
        ("prompt", "-0.5", "not a finite number >= 0: '-0.5'"),
        ("prompt", "NaN", "not a finite number >= 0: 'NaN'"),
        ("prompt", "Infinity", "not a finite number >= 0: 'Infinity'"),
        ("prompt", "1e309", "out of range: '1e309'"),
        ("prompt", "1e-400", "out of range: '1e-400'"),  # would read as 0: a free model
        ("prompt", "9" * 300, "out of range: '999999"),
        ("prompt", "\u0661\u0662", "not a number"),  # Arabic-Indic digits
        ("prompt", "1_000", "not a number"),
    ],
)
def test_openrouter_impossible_price_is_an_issue_and_the_rest_of_the_record_kept(
    field, raw, reason
):
    result = _models(
        {"id": "x/m", "name": "M", "context_length": 8192, "pricing": {field: raw, "completion": "0.000002"}}
    )  # fmt: skip
    assert reason in reasons(result)
    assert values(result, "x/m", "price_output") == ["0.000002"]
    assert values(result, "x/m", "context_window") == ["8192"]


def test_openrouter_json_number_literals_nan_infinity_and_5000_digits():
    body = (
        b'{"data": [{"id": "x/m", "context_length": NaN, "top_provider": {"context_length":'
        b' Infinity, "max_completion_tokens": ' + b"9" * 5000 + b'}, "created": -Infinity}]}'
    )
    result = parse_models(response("openrouter", OR_URL, body))
    text = reasons(result)
    assert "context_window: not an exact number: nan" in text
    assert "context_window: not an exact number: inf" in text
    assert "max_output_tokens: out of range" in text  # 5000 digits: not a ValueError crash
    assert "listed_at: not a Unix timestamp" in text


def test_openrouter_created_beyond_year_9999_is_an_issue():
    result = _models({"id": "x/m", "created": 10**30, "pricing": {"prompt": "0.000001"}})
    assert "listed_at: not a Unix timestamp" in reasons(result)
    assert values(result, "x/m", "price_input") == ["0.000001"]


def test_openrouter_unpaired_surrogate_is_an_issue_not_a_failed_load():
    body = b'{"data": [{"id": "x/m", "name": "a\\ud800b", "context_length": 8192}]}'
    result = parse_models(response("openrouter", OR_URL, body))
    assert "name: not stored: value holds an unpaired surrogate" in reasons(result)
    assert values(result, "x/m", "context_window") == ["8192"]
    for issue in result.issues:
        for text in (issue.locator, issue.reason, issue.raw_id or ""):
            text.encode("utf-8")  # every issue is storable too


def test_openrouter_id_of_only_punctuation_names_nothing():
    result = _models({"id": "..", "name": "dots"}, {"id": "x/ok", "name": "ok"})
    assert not values(result, "..", "name") and values(result, "x/ok", "name") == ["ok"]
    assert "names nothing (only punctuation)" in reasons(result)


@pytest.mark.parametrize(
    "body",
    [
        '{"data": [{"id": "caf\u00e9"}]}'.encode("latin-1"),
        '{"data": [{"id": "x"}]}'.encode("utf-16"),
        b"\xef\xbb\xbf" + b'{"data": []}',  # a byte-order mark
    ],
    ids=["latin-1", "utf-16", "bom"],
)
def test_openrouter_body_not_in_utf8_is_a_layout_error(body):
    with pytest.raises(SourceLayoutError, match="is not JSON"):
        parse_models(response("openrouter", OR_URL, body))


# --- LiteLLM (JSON map) ------------------------------------------------------------------------
def test_litellm_price_that_would_overflow_sql_and_tier_beyond_bigint_are_issues():
    body = {
        "x/huge": {"litellm_provider": "x", "input_cost_per_token": 12345678901234567890},
        "x/tier": {
            "litellm_provider": "x",
            "tiered_pricing": [{"input_cost_per_token": 1e-06, "range": [10**30, 10**31]}],
        },
        "x/key": {"litellm_provider": "x", f"input_cost_per_token_above_{'9' * 5000}k_tokens": 1},
        "x/ok": {"litellm_provider": inputs.MARKUP[4], "input_cost_per_token": 1e-06},
    }
    result = parse_price_map(response("litellm", "https://x/p.json", json.dumps(body).encode()))
    text = reasons(result)
    assert "price_input: out of range: '12345678901234567890'" in text
    assert "tier_min_tokens out of range" in text
    assert "Exceeds the limit (4300 digits)" in text  # the one entry, not the whole map
    assert values(result, "x/ok", "price_input") == ["0.000001"]
    assert {o.provider for o in result.observations if o.raw_id == "x/ok"} == {inputs.MARKUP[4]}


# --- models.dev (tar.gz of TOML) ---------------------------------------------------------------
def _md(files: dict[str, bytes], **kw) -> ArchivedResponse:
    return response("models_dev", MD_URL, inputs.tar_gz(files, **kw))


@pytest.mark.parametrize(
    "name",
    [
        "dev/providers/../../../etc/models/x.toml",
        "/etc/providers/p/models/x.toml",
        "dev/providers/p/models/../../../../x.toml",
        "providers/../models/evil.toml",
    ],
)
def test_models_dev_member_that_climbs_out_is_refused_and_the_rest_read(name):
    result = parse_archive(_md({name: GOOD_TOML, "dev/providers/p/models/good.toml": GOOD_TOML}))
    assert "member path is absolute or climbs out with '..'; refused" in reasons(result)
    assert values(result, "good", "context_window") == ["8192"]
    assert {o.raw_id for o in result.observations} == {"good"}


def test_models_dev_symlinks_are_refused_and_never_followed():
    links = {
        "dev/providers/p/models/passwd.toml": "/etc/passwd",
        "dev/providers/p/models/up.toml": "../../../../../../etc/hostname",
    }
    result = parse_archive(_md({"dev/providers/p/models/good.toml": GOOD_TOML}, links=links))
    assert reasons(result).count("skipped: only regular files are read") == 2
    assert {o.raw_id for o in result.observations} == {"good"}


def test_models_dev_decompression_bomb_is_refused_at_the_default_cap():
    bomb = inputs.tar_bomb("dev/providers/p/models/m.toml", 300 << 20)  # 300 KB -> 300 MiB
    assert len(bomb) < 1 << 20
    with pytest.raises(SourceLayoutError, match="refused as a decompression bomb"):
        parse_archive(response("models_dev", MD_URL, bomb))


def test_models_dev_member_over_its_size_cap_is_skipped(monkeypatch):
    monkeypatch.setattr(models_dev, "MAX_MEMBER_BYTES", 1000)
    big = b"name = '" + b"x" * 2000 + b"'\n"
    result = parse_archive(
        _md({"dev/providers/p/models/big.toml": big, "dev/providers/p/models/good.toml": GOOD_TOML})
    )
    assert "more than the 1,000 a model file may have" in reasons(result)
    assert {o.raw_id for o in result.observations} == {"good"}


def test_models_dev_too_many_members_is_a_layout_error(monkeypatch):
    monkeypatch.setattr(models_dev, "MAX_TAR_MEMBERS", 50)
    files = {f"dev/providers/p/models/m{i}.toml": GOOD_TOML for i in range(60)}
    with pytest.raises(SourceLayoutError, match="holds more than 50 members"):
        parse_archive(_md(files))


@pytest.mark.parametrize(
    "toml, reason",
    [
        (b"a = " + b"[" * 5000 + b"]" * 5000, "nested too deeply"),
        (b"[limit]\ncontext = " + b"9" * 5000, "Exceeds the limit"),
        (b"name = 'a'\nname = 'b'\n", "not TOML"),  # a repeated key
        (b"release_date = 2025-02-30\n", "not TOML"),
        ("name = 'caf\u00e9'\n".encode("latin-1"), "not TOML"),
        (b"[cost]\ninput = inf\noutput = nan\n", None),
    ],
    ids=["deep", "5000-digits", "repeated-key", "no-such-date", "latin-1", "inf-nan"],
)
def test_models_dev_broken_file_is_an_issue_for_that_file_only(toml, reason):
    result = parse_archive(
        _md(
            {"dev/providers/p/models/bad.toml": toml, "dev/providers/p/models/good.toml": GOOD_TOML}
        )
    )
    assert values(result, "good", "context_window") == ["8192"]
    if reason:
        assert reason in reasons(result)
    else:
        assert "not a finite number >= 0" in reasons(result)


def test_models_dev_date_that_does_not_exist_as_text_is_kept_for_sql_to_flag():
    result = parse_archive(_md({"dev/providers/p/models/m.toml": b"release_date = '2025-02-30'\n"}))
    assert values(result, "m", "release_date") == ["2025-02-30"]  # SQL flags it 'unparseable'


# --- genai-prices (YAML) -------------------------------------------------------------------
def _genai(text: str) -> ArchivedResponse:
    return response("genai_prices", "https://x/p.yml", text.encode())


GENAI_OK = "  - id: ok\n    match: {equals: ok}\n    prices: {input_mtok: 0.25}\n"


def test_genai_billion_laughs_is_refused_in_bounded_time():
    text = inputs.billion_laughs(levels=9) + "id: p\nmodels:\n  - id: m\n    match: *l8\n"
    with pytest.raises(SourceLayoutError, match="aliases expand to more than 1,000,000 nodes"):
        cpu(lambda: parse_provider_yaml(_genai(text)))


def test_genai_recursive_alias_is_refused():
    with pytest.raises(SourceLayoutError, match="recursive alias"):
        parse_provider_yaml(_genai("id: p\nmodels: &m\n  - id: x\n    match: *m\n"))


def test_genai_python_tag_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "ran"
    text = f"id: p\nmodels:\n  - !!python/object/apply:builtins.exec [\"open(r'{marker}', 'w')\"]\n"
    with pytest.raises(SourceLayoutError, match="python/object/apply:builtins.exec"):
        parse_provider_yaml(_genai(text))
    assert not marker.exists()


def test_genai_repeated_key_drops_that_model_only():
    text = (
        "id: p\nmodels:\n  - id: twice\n    match: {equals: twice}\n"
        "    prices: {input_mtok: 0.25, input_mtok: 9}\n" + GENAI_OK
    )
    result = parse_provider_yaml(_genai(text))
    assert values(result, "ok", "price_input") == ["0.25"]
    assert not values(result, "twice", "price_input")
    assert "key 'input_mtok' is repeated (line 5)" in reasons(result)


def test_genai_repeated_key_outside_the_models_refuses_the_file():
    with pytest.raises(SourceLayoutError, match="repeats the key 'id' at line 2"):
        parse_provider_yaml(_genai("id: p\nid: q\nmodels:\n" + GENAI_OK))


def test_genai_deep_nesting_is_refused_before_parsing():
    with pytest.raises(SourceLayoutError, match="nested 100000 deep"):
        parse_provider_yaml(_genai("id: p\nmodels: " + "[" * 100_000 + "]" * 100_000))


def test_genai_block_nesting_deeper_than_the_limit_is_refused():
    deep = "".join(f"{'  ' * i}k{i}:\n" for i in range(200)) + "  " * 200 + "x: 1\n"
    with pytest.raises(SourceLayoutError, match="nested"):
        parse_provider_yaml(_genai("id: p\nmodels:\n" + GENAI_OK + "deep:\n" + deep))


@pytest.mark.parametrize(
    "prices, reason",
    [
        ("{input_mtok: .nan}", "not a number: '.nan'"),
        ("{input_mtok: .inf}", "not a number: '.inf'"),
        ("{input_mtok: -1.5}", "not a finite number >= 0"),
        ("{input_mtok: 1.0e+309}", "out of range"),
        ("{input_mtok: " + "9" * 5000 + "}", "out of range"),
    ],
)
def test_genai_impossible_number_is_a_field_issue(prices, reason):
    text = f"id: p\nmodels:\n  - id: m\n    match: {{equals: m}}\n    prices: {prices}\n" + GENAI_OK
    result = parse_provider_yaml(_genai(text))
    assert reason in reasons(result)
    assert values(result, "ok", "price_input") == ["0.25"]


def test_genai_date_that_does_not_exist_drops_that_model_with_an_issue():
    text = (
        "id: p\nmodels:\n  - id: m\n    prices_checked: 2025-02-30\n    prices: {input_mtok: 1}\n"
        + GENAI_OK
    )
    result = parse_provider_yaml(_genai(text))
    assert "not a date: '2025-02-30'" in reasons(result)
    assert values(result, "ok", "price_input") == ["0.25"]


# --- llm-prices and Artificial Analysis (JSON) ---------------------------------------------------
def test_llm_prices_date_that_does_not_exist_drops_that_row_only():
    body = {
        "vendor": inputs.MARKUP[0],
        "models": [
            {"id": "m", "name": inputs.MARKUP[1], "price_history": [
                {"input": 1, "output": 2, "from_date": "2025-02-30", "to_date": None},
                {"input": 3, "output": 4, "from_date": "2025-03-01", "to_date": "2025-13-01"},
                {"input": 5, "output": 6, "from_date": "2025-04-01", "to_date": None}]},
        ],
    }  # fmt: skip
    result = parse_vendor(response("llm_prices", "https://x/v.json", json.dumps(body).encode()))
    assert values(result, "m", "price_input") == ["5"]
    assert values(result, "m", "name") == [inputs.MARKUP[1]]
    assert {o.provider for o in result.observations} == {inputs.MARKUP[0]}
    assert reasons(result).count("not a date") == 2


def test_aa_negative_and_non_numeric_scores_are_issues():
    body = {"ok": {"intelligence": 50}, inputs.MARKUP[3]: {"intelligence": -5, "speed": "NaN"}}
    result = parse_aa_models(
        response("aa_benchmarks", "https://x/aa.json", json.dumps(body).encode())
    )
    assert values(result, "ok", "benchmark") == ["50"]
    assert reasons(result).count("not a finite number >= 0") == 2


# --- model cards (YAML front matter + Markdown) --------------------------------------------------
BODY = "# Tiny\n\n- **Context Window:** A 32k context window.\n"


def _hf(text: str) -> ArchivedResponse:
    return response("hf_cards", HF_URL, text.encode())


@pytest.mark.parametrize(
    "front, reason",
    [
        (inputs.billion_laughs(levels=9), "aliases refused"),
        ("license: !!python/object/apply:os.system ['true']\n", "not YAML"),
        ("license: apache-2.0\nlicense: mit\n", "key 'license' is repeated (line 2)"),
        ("a:\n" + "".join(f"{'  ' * i}- \n" for i in range(1, 300)), "nested"),
    ],
    ids=["billion-laughs", "python-tag", "repeated-key", "deep-block"],
)
def test_card_hostile_front_matter_is_refused_and_the_body_still_read(front, reason):
    result = parse_hf_card(_hf(f"---\n{front}---\n{BODY}"))
    assert reason in reasons(result)
    assert values(result, "acme/Tiny-7B", "context_window") == ["32k"]


def test_card_front_matter_values_python_cannot_build_do_not_crash():
    front = f"license: apache-2.0\nrelease: 2025-02-30\nsize: {'9' * 5000}\nlibrary_name: x\n"
    result = parse_hf_card(_hf(f"---\n{front}---\n{BODY}"))
    assert values(result, "acme/Tiny-7B", "license") == ["apache-2.0"]


def test_card_markup_in_license_and_title_is_kept_verbatim():
    front = f"license: '{inputs.MARKUP[0]}'\nbase_model: 'javascript:mcxss(4)'\n"
    title = "&lt;script&gt;mcxss&lt;/script&gt; Tiny"
    result = parse_hf_card(_hf(f"---\n{front}---\n# {title}\n"))
    assert values(result, "acme/Tiny-7B", "license") == [inputs.MARKUP[0]]
    assert values(result, "acme/Tiny-7B", "base_model") == ["javascript:mcxss(4)"]
    assert values(result, "acme/Tiny-7B", "name") == ["<script>mcxss</script> Tiny"]


META_TABLE = "# Card\n\n| Model | Params | Context length |\n|---|---|---|\n| X | 1B | 8k |\n\n"


def test_card_with_thousands_of_nested_tables_is_read_in_bounded_time():
    card = META_TABLE + "<table><tr><td>" * 5000 + "x" + "</td></tr></table>" * 5000
    result, seconds = cpu(lambda: parse_meta_card(response("meta_cards", META_URL, card.encode())))
    assert seconds < 10
    assert values(result, "X 1B", "context_window") == ["8k"]
    assert "nested more than 8 deep were not read" in reasons(result)


def test_card_with_thousands_of_nested_list_items_is_read_in_bounded_time():
    card = META_TABLE + "<ul><li>Release date: May 2024 " * 5000 + "</li></ul>" * 5000
    result, seconds = cpu(lambda: parse_meta_card(response("meta_cards", META_URL, card.encode())))
    assert seconds < 10
    assert values(result, "X 1B", "release_date") == ["2024-05"]
    assert "nested more than 8 deep were not read on their own" in reasons(result)


def test_card_with_thousands_of_tables_and_statements_is_read_in_bounded_time():
    card = META_TABLE + "| Benchmark | X 1B |\n|---|---|\n| mmlu | 5 |\n\n" * 2000
    card += "".join(f"Model Release Date: Jan {1 + i % 28}, 2024 ({i})\n\n" for i in range(3000))
    result, seconds = cpu(lambda: parse_meta_card(response("meta_cards", META_URL, card.encode())))
    assert seconds < 15
    assert "table(s) past the first 500" in reasons(result)


@pytest.mark.parametrize(
    "text",
    [
        "1" + ",111" * 50_000 + " tokens",  # made the context-window search quadratic
        "(" * 200_000,  # made the name tokenizer quadratic
    ],
    ids=["thousands-separators", "open-parentheses"],
)
def test_card_text_that_made_a_regex_backtrack_is_read_in_bounded_time(text):
    card = f"# {text[:100_000]}\n\n{text}\n\n" + META_TABLE.replace("# Card\n\n", "")
    card = card.replace("| X |", f"| {text[:50_000]} |")
    result, seconds = cpu(lambda: parse_meta_card(response("meta_cards", META_URL, card.encode())))
    assert seconds < 5
    assert result.num_records == 1


# --- pricing pages (HTML) ------------------------------------------------------------------------
def _page(body: bytes, **kw):
    return parse_pricing_page(response("page_groq", PAGE_URL, body, **kw))


def test_page_of_5000_nested_tables_reads_eight_and_says_so():
    result, seconds = cpu(lambda: _page(inputs.nested_tables(5000)))
    assert seconds < 10
    assert len(values(result, "m0", "price_input")) == 1
    assert len({o.raw_id for o in result.observations}) == 8
    assert "4992 table(s) nested more than 8 deep were not read" in reasons(result)


@pytest.mark.parametrize("kind", ["table", "dl"])
def test_page_of_5000_tables_or_cards_reads_the_first_500_in_bounded_time(kind):
    one = (
        PAGE.split("</h2>", 1)[1].format(name="m", input="$1")
        if kind == "table"
        else "<h3>m</h3><dl><dt>Input</dt><dd>$1</dd><dt>Output</dt><dd>$2</dd></dl>"
    )
    body = ("<h2>Prices per 1M tokens</h2>" + one * 5000).encode()
    result, seconds = cpu(lambda: _page(body))
    assert seconds < 10
    assert "4500 table(s) past the first 500" in reasons(result)


def test_page_with_huge_colspans_is_truncated_not_expanded():
    rows = "<tr><td>m</td>" + '<td colspan="1000">$1</td>' * 3 + "</tr>"
    body = PAGE.format(name="m", input="$1").replace("</table>", rows * 2000 + "</table>")
    result, seconds = cpu(lambda: _page(body.encode()))
    assert seconds < 10
    assert "more than 100,000 cells; only the first rows were read" in reasons(result)


def test_page_header_that_made_a_regex_backtrack_is_read_in_bounded_time():
    _, seconds = cpu(lambda: price_attribute("cache " * 50_000))
    assert seconds < 1
    assert price_attribute("Cache write (5m)") == "price_cache_write"
    assert price_attribute("Cached input") == "price_cache_read"


@pytest.mark.parametrize("text", inputs.MARKUP + inputs.LOOKALIKE[1:])
def test_page_markup_and_look_alike_names_are_kept_verbatim(text):
    result = _page(PAGE.format(name=html.escape(text), input="$1").encode())
    # whitespace collapsed and zero-width spaces dropped, as for every cell; nothing else
    assert values(result, _html.clean(text), "price_input") == ["1"]


def test_page_price_with_30_digits_is_an_issue():
    result = _page(PAGE.format(name="m", input="$" + "9" * 30).encode())
    assert "out of range" in reasons(result)
    assert values(result, "m", "price_output") == ["2"]


@pytest.mark.parametrize(
    "body, content_type, expected_name, issue",
    [
        ("caf\u00e9".encode(), "text/html; charset=iso-8859-1", "caf\u00e9",
         "declared charset 'iso-8859-1' but the bytes are UTF-8; read as UTF-8"),
        ("caf\u00e9".encode("latin-1"), "text/html; charset=utf-8", "caf\ufffd",
         "body is not valid utf-8 ("),
        ("caf\u00e9".encode("latin-1"), "text/html; charset=windows-1252", "caf\u00e9", None),
        (b"+ADw-script+AD4-", "text/html; charset=utf-7", "+ADw-script+AD4-",
         "declared charset 'utf-7' is not one we read; read as UTF-8"),
        ('<meta charset="iso-8859-1">caf\u00e9'.encode("latin-1"), None, "caf\u00e9", None),
    ],
    ids=["latin1-label-utf8-bytes", "utf8-label-latin1-bytes", "cp1252", "utf-7", "meta"],
)  # fmt: skip
def test_page_charset_lies_are_read_and_flagged(body, content_type, expected_name, issue):
    text, problem = decode_page(body, content_type)
    assert expected_name in text
    assert (problem is None) if issue is None else issue in problem
    page = PAGE.format(name="{name}", input="$1").encode()
    full = page.replace(b"{name}", body)
    result = _page(full, content_type=content_type)
    if issue:
        assert issue in reasons(result)
