"""Model-card parsers on the bundled cards: what each card states, attributed to the right model.

The Hugging Face cards and Meta's GitHub cards come from the replay archive (prose stripped by
``scripts/bundle_documents.py``). The guard tests build small cards in memory.
"""

from __future__ import annotations

import datetime as dt

import pytest

from modelcompare.archive import ArchivedResponse
from modelcompare.observations import MODEL, SourceLayoutError
from modelcompare.parsers.model_cards import parse_date, parse_hf_card, parse_meta_card
from modelcompare.sources import HF_CARDS, META_CARDS
from tests.conftest import load_recorded

MAGISTRAL = "mistralai/Magistral-Small-2509"
LLAMA_VISION = "meta-llama/Llama-3.2-11B-Vision-Instruct"


def hf(repo: str):
    return parse_hf_card(load_recorded("hf_cards", f"/{repo}/raw/"))


def meta(path: str):
    return parse_meta_card(load_recorded("meta_cards", f"/models/{path}"))


def values(result, raw_id, attribute, qualifier=None):
    return [
        o.value
        for o in result.observations
        if o.raw_id == raw_id
        and o.attribute == attribute
        and (qualifier is None or o.qualifier == qualifier)
    ]


def only(result, raw_id, attribute, qualifier=None):
    found = [
        o
        for o in result.observations
        if o.raw_id == raw_id
        and o.attribute == attribute
        and (qualifier is None or o.qualifier == qualifier)
    ]
    assert len(found) == 1, found
    return found[0]


# --- every bundled card --------------------------------------------------------------------
@pytest.mark.parametrize("repo", HF_CARDS)
def test_every_hf_card_parses_cleanly(repo):
    response = load_recorded("hf_cards", f"/{repo}/raw/")
    result = parse_hf_card(response)
    assert response.fetched_at_approximate
    assert "Prose stripped" in response.note
    assert result.issues == []
    assert result.num_records == 1
    assert {o.raw_id for o in result.observations} == {repo}
    assert all(o.subject == MODEL and o.provider is None and o.locator for o in result.observations)


@pytest.mark.parametrize("path", META_CARDS)
def test_every_meta_card_parses_cleanly(path):
    result = meta(path)
    assert result.issues == []
    assert result.num_records >= 1
    assert all(o.subject == MODEL and o.provider is None and o.locator for o in result.observations)


# --- example model 2: Magistral Small 2509 (Magistral Small 1.2) ---------------------------
def test_magistral_2509_front_matter():
    result = hf(MAGISTRAL)
    assert values(result, MAGISTRAL, "license") == ["apache-2.0"]
    assert values(result, MAGISTRAL, "base_model") == [
        "mistralai/Mistral-Small-3.2-24B-Instruct-2506"
    ]
    # license + library_name (vllm) in the front matter: a weights release
    assert values(result, MAGISTRAL, "open_weights") == ["true"]
    assert values(result, MAGISTRAL, "name") == ["Magistral Small 1.2"]


def test_magistral_2509_capabilities_and_limits():
    result = hf(MAGISTRAL)
    assert values(result, MAGISTRAL, "vision") == ["true"]
    assert values(result, MAGISTRAL, "reasoning") == ["true"]
    context = only(result, MAGISTRAL, "context_window")
    assert (context.value, context.unit) == ("128k", "tokens")
    assert "128k context window" in context.note
    assert values(result, MAGISTRAL, "parameters") == ["24"]
    # The card states no release date, and tool calling only through a vLLM flag: unknown.
    assert values(result, MAGISTRAL, "release_date") == []
    assert values(result, MAGISTRAL, "tool_calling") == []


def test_magistral_2509_benchmarks_are_small_1_2_only():
    result = hf(MAGISTRAL)
    aime = only(result, MAGISTRAL, "benchmark", "AIME24|pass@1")
    assert (aime.value, aime.unit) == ("86.14", "percent")  # not Medium 1.2's 91.82
    assert "Magistral Small 1.2" in aime.locator
    assert values(result, MAGISTRAL, "benchmark", "AIME25|pass@1") == ["77.34"]
    assert values(result, MAGISTRAL, "benchmark", "GPQA Diamond|") == ["70.07"]
    assert values(result, MAGISTRAL, "benchmark", "Livecodebench (v5)|") == ["70.88"]
    assert len(values(result, MAGISTRAL, "benchmark")) == 4


def test_magistral_2506_body_only_copy_yields_no_license():
    response = load_recorded("hf_cards", "/mistralai/Magistral-Small-2506/raw/")
    assert "PARTIAL" in response.note
    result = parse_hf_card(response)
    repo = "mistralai/Magistral-Small-2506"
    assert values(result, repo, "license") == []
    assert values(result, repo, "open_weights") == []
    assert values(result, repo, "base_model") == []
    # Its one "Magistral Small" row is the card's own model (title "Magistral Small 1.0").
    assert values(result, repo, "benchmark", "AIME24|pass@1") == ["70.68"]
    assert values(result, repo, "context_window") == ["128k"]


def test_mistral_small_2501():
    repo = "mistralai/Mistral-Small-24B-Instruct-2501"
    result = hf(repo)
    assert values(result, repo, "license") == ["apache-2.0"]
    assert values(result, repo, "base_model") == ["mistralai/Mistral-Small-24B-Base-2501"]
    assert values(result, repo, "context_window") == ["32k"]
    assert values(result, repo, "tool_calling") == ["true"]  # "native function calling"
    assert values(result, repo, "json_mode") == ["true"]  # "JSON outputting"
    assert values(result, repo, "reasoning") == []  # "Advanced Reasoning" is not a thinking mode
    ifeval = only(result, repo, "benchmark", "ifeval|")
    assert (ifeval.value, ifeval.unit) == ("0.829", "score")  # its column, not Gemma's 0.8065


# --- example model 1: Llama 3.2 11B Vision Instruct ----------------------------------------
def test_llama_vision_hf_card_facts():
    result = hf(LLAMA_VISION)
    license_ = only(result, LLAMA_VISION, "license")
    assert license_.value == "llama3.2"
    assert "extra_gated_eu_disallowed: true" in license_.note
    assert values(result, LLAMA_VISION, "release_date") == ["2024-09-25"]
    assert values(result, LLAMA_VISION, "context_window") == ["128k"]
    assert values(result, LLAMA_VISION, "knowledge_cutoff") == ["2023-12"]
    assert values(result, LLAMA_VISION, "parameters") == ["10.6"]  # "11B (10.6)", not 90B's
    assert values(result, LLAMA_VISION, "vision") == ["true"]
    assert values(result, LLAMA_VISION, "open_weights") == ["true"]


def test_llama_vision_hf_card_benchmarks_take_the_11b_instruct_column():
    result = hf(LLAMA_VISION)

    def score(qualifier):
        return values(result, LLAMA_VISION, "benchmark", qualifier)

    assert score("MMMU (val, CoT)|0-shot, Micro average accuracy") == ["50.7"]  # 90B: 60.3
    assert score("ChartQA (test, CoT)|0-shot, Relaxed accuracy") == ["83.4"]
    assert score("DocVQA (test)|0-shot, ANLS") == ["88.4"]
    assert score("MMLU (CoT)|0-shot, Macro_avg/acc") == ["73.0"]
    # The pretrained model's table is about another model (Llama-3.2-11B-Vision).
    assert score("MMMU (val, 0-shot)|0-shot, Micro average accuracy") == []
    assert len(values(result, LLAMA_VISION, "benchmark")) == 12


def test_llama_31_8b_hf_card():
    repo = "meta-llama/Llama-3.1-8B-Instruct"
    result = hf(repo)
    assert values(result, repo, "license") == ["llama3.1"]
    assert values(result, repo, "base_model") == ["meta-llama/Meta-Llama-3.1-8B"]
    assert values(result, repo, "release_date") == ["2024-07-23"]
    assert values(result, repo, "tool_calling") == ["true"]  # "supports multiple tool use formats"
    assert values(result, repo, "vision") == ["false"]  # input modalities: Multilingual Text
    # Llama 3.1 8B Instruct's column, not Llama 3 8B Instruct's 65.3
    assert values(result, repo, "benchmark", "MMLU (CoT)|0-shot, macro_avg/acc") == ["73.0"]
    assert values(result, repo, "open_weights") == []  # no library_name in its front matter


# --- Meta's GitHub cards -------------------------------------------------------------------
def test_meta_vision_card_names_models_as_the_card_writes_them():
    result = meta("llama3_2/MODEL_CARD_VISION.md")
    assert result.num_records == 2
    for name in ("Llama 3.2-Vision 11B", "Llama 3.2-Vision 90B"):
        assert values(result, name, "context_window") == ["128k"]
        assert values(result, name, "knowledge_cutoff") == ["2023-12"]
        assert values(result, name, "release_date") == ["2024-09-25"]
        assert values(result, name, "license") == ["Llama 3.2 Community License"]
        assert values(result, name, "vision") == ["true"]
    assert values(result, "Llama 3.2-Vision 90B", "parameters") == ["88.8"]


def test_meta_vision_card_benchmarks_split_base_and_instruct():
    result = meta("llama3_2/MODEL_CARD_VISION.md")
    cot = "MMMU (val, CoT)|0-shot, Micro average accuracy"
    assert values(result, "Llama 3.2 11B Instruct", "benchmark", cot) == ["50.7"]
    assert values(result, "Llama 3.2 90B Instruct", "benchmark", cot) == ["60.3"]
    zero_shot = "MMMU (val, 0-shot)|0-shot, Micro average accuracy"
    # Base pretrained scores name the base model, so they never land on the instruct model.
    assert values(result, "Llama 3.2 11B Base", "benchmark", zero_shot) == ["41.7"]
    assert values(result, "Llama 3.2 11B", "benchmark", zero_shot) == []
    assert values(result, "Llama 3.2 11B", "benchmark", cot) == []


def test_meta_text_card_leaves_empty_cells_unknown():
    result = meta("llama3_2/MODEL_CARD.md")
    assert result.num_records == 4
    assert values(result, "Llama 3.2 1B", "context_window") == ["128k"]
    assert values(result, "Llama 3.2 Quantized 1B", "context_window") == ["8k"]
    # The 3B row's context cell is empty in the card: not copied from the row above.
    assert values(result, "Llama 3.2 3B", "context_window") == []
    # ...but "The pretraining data has a cutoff of December 2023" covers every model.
    assert values(result, "Llama 3.2 3B", "knowledge_cutoff") == ["2023-12"]
    assert values(result, "Llama 3.2 3B", "release_date") == ["2024-10-24"]
    # Multilingual rows continue their benchmark name down the empty cells.
    mmlu = "MMLU (5-shot, macro_avg/acc)|Spanish"
    assert values(result, "Llama 3.2 1B", "benchmark", mmlu) == ["41.5"]


def test_meta_31_card_reads_rowspans():
    result = meta("llama3_1/MODEL_CARD.md")
    assert result.num_records == 3
    for name, params in (("Llama 3.1 8B", "8"), ("Llama 3.1 70B", "70"), ("Llama 3.1 405B", "405")):
        assert values(result, name, "parameters") == [params]
        assert values(result, name, "knowledge_cutoff") == ["2023-12"]  # a rowspan="3" cell
        assert values(result, name, "license") == ["Llama 3.1 Community License"]


def test_meta_33_card_release_date_from_its_list():
    result = meta("llama3_3/MODEL_CARD.md")
    assert values(result, "Llama 3.3 70B", "release_date") == ["2024-12-06"]
    assert values(result, "Llama 3.3 70B", "license") == ["Llama 3.3 Community License Agreement"]


# --- guards --------------------------------------------------------------------------------
HF_URL = "https://huggingface.co/acme/Tiny-7B/raw/main/README.md"
WHEN = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def card(text: str, url: str = HF_URL, source: str = "hf_cards") -> ArchivedResponse:
    return ArchivedResponse.from_bytes(source, url, text.encode("utf-8"), WHEN)


BODY = "# Tiny\n\n- **Context Window:** A 32k context window.\n"


@pytest.mark.parametrize(
    "front, reason",
    [
        ("- just\n- a list\n", "not a mapping"),  # YAML, but not a mapping
        ("a: &x [1, 2]\nb: *x\n", "aliases"),  # an alias could expand without bound
        ("license: [unclosed\n", "not YAML"),
        ("license: apache-2.0\nextra: '" + "x" * 300_000 + "'\n", "refused"),  # over 256 KB
        ("a: " + "[" * 50_000 + "]" * 50_000 + "\n", "nested 50000 deep"),  # fast refusal
    ],
)
def test_untrusted_front_matter_is_refused_but_body_still_read(front, reason):
    result = parse_hf_card(card(f"---\n{front}---\n{BODY}"))
    assert len(result.issues) == 1 and reason in result.issues[0].reason
    assert values(result, "acme/Tiny-7B", "license") == []
    assert values(result, "acme/Tiny-7B", "context_window") == ["32k"]


def test_unclosed_front_matter_is_a_layout_error():
    with pytest.raises(SourceLayoutError, match="never closed"):
        parse_hf_card(card("---\nlicense: mit\n# Tiny\n"))


def test_non_hf_url_is_a_layout_error():
    with pytest.raises(SourceLayoutError, match="not a Hugging Face README URL"):
        parse_hf_card(card(BODY, url="https://example.org/README.md"))


def test_meta_card_without_model_table_is_a_layout_error():
    url = "https://raw.githubusercontent.com/meta-llama/llama-models/main/models/x/MODEL_CARD.md"
    with pytest.raises(SourceLayoutError, match="meta_cards: no model table"):
        parse_meta_card(card("## Model Information\n\nSome prose.\n", url=url, source="meta_cards"))


def test_non_utf8_card_is_a_layout_error():
    response = ArchivedResponse.from_bytes("hf_cards", HF_URL, b"# T\xff\xfe\n", WHEN)
    with pytest.raises(SourceLayoutError, match="not UTF-8"):
        parse_hf_card(response)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Model Release Date: Sept 25, 2024", "2024-09-25"),  # Meta's "Sept"
        ("Model Release Date: July 23, 2024.", "2024-07-23"),
        ("a cutoff of December 2023.", "2023-12"),  # a month only stays a month
        ("last updated on 2023-10-01", "2023-10-01"),
        ("Feb 30, 2024", None),  # no such day: unknown, not guessed
        ("released in 2024", None),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected
