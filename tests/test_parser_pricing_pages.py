"""Pricing-page parser: prices found by header text across markups, units kept as stated.

The six ``page_*`` responses come from the replay archive; they are made fixtures (no pricing
page was ever recorded), each naming the recorded source of its figures. The variants used only
here (case C03's two layouts, a reordered table, a page without its table, a wrong row) are read
from ``tests/fixtures/pricing_pages/``.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from modelcompare.archive import ArchivedResponse
from modelcompare.observations import OFFERING, SourceLayoutError
from modelcompare.parsers._html import money, price_unit
from modelcompare.parsers.pricing_pages import parse_pricing_page
from modelcompare.sources import PRICING_PAGES
from tests.conftest import load_recorded

FIXTURES = Path(__file__).parent / "fixtures" / "pricing_pages"
OPENAI_URL = "https://platform.openai.com/docs/pricing"
WHEN = dt.datetime(2026, 8, 21, tzinfo=dt.UTC)
UNITS = {"usd_per_token", "usd_per_1k_tokens", "usd_per_million_tokens"}


def page(source: str):
    return parse_pricing_page(load_recorded(source))


def fixture(name: str, url: str = OPENAI_URL, source: str = "page_openai"):
    body = (FIXTURES / name).read_bytes()
    return parse_pricing_page(ArchivedResponse.from_bytes(source, url, body, WHEN))


def prices(result, *, with_region=False):
    """{(raw_id, attribute[, region]): (value, unit)}; fails on a repeated key."""
    table = {}
    for o in result.observations:
        key = (o.raw_id, o.attribute, o.region) if with_region else (o.raw_id, o.attribute)
        assert key not in table, key
        table[key] = (o.value, o.unit)
    return table


# --- every bundled page --------------------------------------------------------------------
@pytest.mark.parametrize(
    "source, provider",
    [
        ("page_aws_bedrock", "aws-bedrock"),
        ("page_mistral", "mistral"),
        ("page_together", "together"),
        ("page_groq", "groq"),
        ("page_deepinfra", "deepinfra"),
        ("page_openai", "openai"),
    ],
)
def test_every_page_fixture_parses_cleanly(source, provider):
    response = load_recorded(source)
    assert response.fetched_at_approximate and "made fixture" in response.note
    assert response.body.lstrip().startswith(b"<!-- Made fixture, not a recording")
    result = parse_pricing_page(response)
    assert result.issues == []
    assert result.num_records >= 2
    for o in result.observations:
        assert (o.subject, o.provider, o.source) == (OFFERING, provider, source)
        assert re.fullmatch(r"\d+(\.\d+)?", o.value), o.value  # exact decimal text, no "$"
        assert o.unit in UNITS


def test_all_pricing_pages_are_bundled():
    assert {load_recorded(name).url for name, _, _ in PRICING_PAGES} == {
        url for _, _, url in PRICING_PAGES
    }


# --- case C03: columns by header, whatever the markup ---------------------------------------
def test_c03_plain_table():
    got = prices(fixture("c03_layout1.html"))
    assert got == {
        ("o1", "price_input"): ("15.00", "usd_per_million_tokens"),
        ("o1", "price_cache_read"): ("7.50", "usd_per_million_tokens"),
        ("o1", "price_output"): ("60.00", "usd_per_million_tokens"),
        ("o3-mini", "price_input"): ("1.10", "usd_per_million_tokens"),
        ("o3-mini", "price_cache_read"): ("0.55", "usd_per_million_tokens"),
        ("o3-mini", "price_output"): ("4.40", "usd_per_million_tokens"),
    }


def test_c03_aria_grid_with_reordered_columns_gives_the_same_o1():
    first = prices(fixture("c03_layout1.html"))
    second = prices(fixture("c03_layout2.html", url=OPENAI_URL + "?layout=2"))
    assert second == {k: v for k, v in first.items() if k[0] == "o1"}


def test_reordered_table_parses_like_the_original():
    original = page("page_openai")
    standard = {
        (o.raw_id, o.attribute, o.value, o.unit)
        for o in original.observations
        if o.locator.startswith("table[0]")
    }
    reordered = fixture("openai_reordered.html")
    assert {(o.raw_id, o.attribute, o.value, o.unit) for o in reordered.observations} == standard
    assert len(standard) == 12


def test_openai_page_batch_section():
    got = prices(page("page_openai"))
    assert got[("gpt-4o-mini", "price_input")] == ("0.15", "usd_per_million_tokens")
    assert got[("gpt-4o-mini", "price_cache_read")] == ("0.075", "usd_per_million_tokens")
    assert got[("gpt-4o-mini", "price_batch_input")] == ("0.075", "usd_per_million_tokens")
    assert got[("gpt-4o-mini", "price_batch_output")] == ("0.30", "usd_per_million_tokens")
    assert got[("gpt-4o", "price_batch_output")] == ("5.00", "usd_per_million_tokens")


# --- one markup per page -------------------------------------------------------------------
def test_bedrock_per_1k_units_and_regions():
    got = prices(page("page_aws_bedrock"), with_region=True)
    per_1k = "usd_per_1k_tokens"
    assert got[("Llama 3.2 11B Instruct", "price_input", None)] == ("0.00016", per_1k)
    assert got[("Llama 3.2 11B Instruct", "price_output", None)] == ("0.00016", per_1k)
    assert got[("Magistral Small 2509", "price_input", None)] == ("0.0005", per_1k)
    assert got[("Magistral Small 2509", "price_output", None)] == ("0.0015", per_1k)
    assert got[("Llama 3 8B Instruct", "price_input", "us-east-1")] == ("0.0003", per_1k)
    assert got[("Llama 3 8B Instruct", "price_input", "eu-west-1")] == ("0.00032", per_1k)
    assert got[("Llama 3 70B Instruct", "price_output", "eu-west-1")] == ("0.00378", per_1k)


def test_mistral_nested_section_cards():
    got = prices(page("page_mistral"))
    assert got == {
        ("Magistral Small", "price_input"): ("0.5", "usd_per_million_tokens"),
        ("Magistral Small", "price_output"): ("1.5", "usd_per_million_tokens"),
        ("Mistral Small 4", "price_input"): ("0.15", "usd_per_million_tokens"),
        ("Mistral Small 4", "price_cache_read"): ("0.015", "usd_per_million_tokens"),
        ("Mistral Small 4", "price_output"): ("0.6", "usd_per_million_tokens"),
    }


def test_together_aria_grid_output_before_input():
    got = prices(page("page_together"))
    scout = "meta-llama/Llama-4-Scout-17B-16E-Instruct"
    assert got[(scout, "price_input")] == ("0.18", "usd_per_million_tokens")
    assert got[(scout, "price_output")] == ("0.59", "usd_per_million_tokens")


def test_groq_takes_the_price_not_the_tokens_per_dollar():
    got = prices(page("page_groq"))
    assert got[("Llama 3.1 8B Instant 128k", "price_input")] == ("0.05", "usd_per_million_tokens")
    assert got[("Llama 3.1 8B Instant 128k", "price_output")] == ("0.08", "usd_per_million_tokens")
    assert got[("llama-3.2-11b-vision-preview", "price_input")][0] == "0.18"


def test_deepinfra_bold_td_header_and_caption_unit():
    got = prices(page("page_deepinfra"))
    vision = "meta-llama/Llama-3.2-11B-Vision-Instruct"
    assert got[(vision, "price_input")] == ("0.049", "usd_per_million_tokens")
    assert got[("meta-llama/Meta-Llama-3.1-8B-Instruct", "price_input")][0] == "0.03"
    assert got[("meta-llama/Meta-Llama-3.1-8B-Instruct", "price_output")][0] == "0.05"


# --- layout changes and wrong rows ---------------------------------------------------------
def test_page_without_table_names_source_and_url():
    with pytest.raises(SourceLayoutError) as error:
        fixture("no_table.html")
    assert str(error.value) == f"page_openai: no price table found at {OPENAI_URL}"


def test_page_without_input_output_headers_is_a_layout_error():
    with pytest.raises(
        SourceLayoutError, match=r"page_openai: 1 table\(s\) at .* none has an Input or Output"
    ):
        fixture("no_price_headers.html")


def test_cached_above_input_is_kept_and_flagged():
    result = fixture("cached_above_input.html")
    got = prices(result)
    assert got[("o3-mini", "price_cache_read")] == ("1.10", "usd_per_million_tokens")
    assert got[("o3-mini", "price_input")] == ("0.55", "usd_per_million_tokens")
    assert [i.raw_id for i in result.issues] == ["o3-mini"]
    assert "cached input price 1.10" in result.issues[0].reason


def test_cached_check_compares_across_units():
    html = (
        b"<table><tr><th>Model</th><th>Input (per 1M tokens)</th>"
        b"<th>Cached input (per 1K tokens)</th></tr>"
        b"<tr><td>m</td><td>$1.00</td><td>$0.0005</td></tr></table>"
    )
    result = parse_pricing_page(ArchivedResponse.from_bytes("page_openai", OPENAI_URL, html, WHEN))
    assert result.issues == []  # 0.0005 per 1K is 0.50 per 1M, below 1.00
    assert prices(result)[("m", "price_cache_read")] == ("0.0005", "usd_per_1k_tokens")


def test_price_without_a_stated_unit_is_an_issue_not_a_guess():
    html = b"<table><tr><th>Model</th><th>Input</th><th>Output</th></tr><tr><td>m</td><td>$1</td><td>$2</td></tr></table>"
    result = parse_pricing_page(ArchivedResponse.from_bytes("page_openai", OPENAI_URL, html, WHEN))
    assert result.observations == []
    assert len(result.issues) == 2 and "no stated unit" in result.issues[0].reason


def test_unknown_host_is_a_layout_error():
    response = ArchivedResponse.from_bytes("page_x", "https://example.org/pricing", b"<p/>", WHEN)
    with pytest.raises(SourceLayoutError, match="no provider known for host 'example.org'"):
        parse_pricing_page(response)


@pytest.mark.parametrize(
    "text, unit",
    [
        ("Price per 1,000 input tokens", "usd_per_1k_tokens"),
        ("$0.15 / 1M tokens", "usd_per_million_tokens"),
        ("Input Token Price (Per Million Tokens)", "usd_per_million_tokens"),
        ("per 1K tokens", "usd_per_1k_tokens"),
        ("Price per 1,000,000 tokens", "usd_per_million_tokens"),
        ("$0.0000005 per token", "usd_per_token"),
        ("$0.05 (20M / $1)", None),  # tokens per dollar is not a price unit
        ("Input", None),
    ],
)
def test_price_unit(text, unit):
    assert price_unit(text) == unit


@pytest.mark.parametrize(
    "text, value",
    [
        ("$15.00", "15.00"),
        ("$0.15 / 1M tokens", "0.15"),
        ("$1,234.50", "1234.50"),
        ("$0.05 (20M / $1)", "0.05"),
        ("0.00016", "0.00016"),
        ("Contact sales", None),
    ],
)
def test_money(text, value):
    assert money(text) == value
