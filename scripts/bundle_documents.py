"""Bundle the document sources (model cards, pricing pages) into the replay archive.

Why this exists: the replay archive under ``replay/`` stands for what a live run would have
fetched, so tests and a fresh clone can run offline. The model cards recorded in
``../shared/sources/model-cards/`` are copies of public READMEs whose original fetch time is
unknown; each is archived at the URL a live run fetches, dated by the date of the copy, and
marked approximate. The cards are mostly prose that the parsers never read (license texts,
usage code, safety essays), and shipping 200 KB of it would only bloat the repository, so the
prose is stripped here: what is kept is the YAML front matter minus the long prose fields,
every heading, every table (Markdown and HTML) and the short lines that state a fact. Each
archived response says so in its note.

No pricing page was ever recorded, so ``page_*`` responses are the project's own made fixtures
from ``tests/fixtures/pricing_pages/<source>.html``; each fixture names, in its opening
comment, the recorded source of every figure it holds.

The script is deterministic (fixed fetch times, no clock) and idempotent: the archive is
content-addressed, an unchanged input writes nothing, and an earlier response of these sources
that the current inputs no longer produce is removed (``--keep-stale`` keeps it). It only ever
touches the sources ``hf_cards``, ``meta_cards`` and ``page_*``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from modelcompare.archive import Archive, ArchivedResponse  # noqa: E402  (needs sys.path above)
from modelcompare.sources import PRICING_PAGES  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures" / "pricing_pages"
HF_URL = "https://huggingface.co/{repo}/raw/main/README.md"
META_URL = "https://raw.githubusercontent.com/meta-llama/llama-models/main/models/{path}"


@dataclass(frozen=True)
class CardCopy:
    """One recorded card copy: where it is under ``shared/``, what a live run fetches, and when."""

    source: str
    url: str
    path: str  # relative to shared/
    copied_on: str  # the date of the copy, per sources/README.md ("Date of the data")
    provenance: str


# Dates from the "Date of the data" column of shared/sources/README.md. Where the README gives
# only a month or "late 2025", the date used is the commit date of the copy when the README
# names one, else the stated stand-in below; every one of them is approximate.
HF_COPIES = (
    CardCopy(
        "hf_cards",
        HF_URL.format(repo="mistralai/Magistral-Small-2509"),
        "sources/model-cards/mistralai__Magistral-Small-2509.md",
        "2025-12-01",
        "public GitHub copy of the HF README (repository not recorded), matching the 38.9 kB "
        "README of revision a31cc96; the README dates it only as 'about late 2025', so "
        "2025-12-01 stands in",
    ),
    CardCopy(
        "hf_cards",
        HF_URL.format(repo="mistralai/Magistral-Small-2506"),
        "sources/model-cards/mistralai__Magistral-Small-2506.body-only.md",
        "2025-09-16",
        "PARTIAL copy: body only, no YAML front matter, and it ends early "
        "(github WillIsback/sportsee docs/magistral-small.md @253b8487, file added 2025-09-16)",
    ),
    CardCopy(
        "hf_cards",
        HF_URL.format(repo="mistralai/Mistral-Small-24B-Instruct-2501"),
        "sources/model-cards/mistralai__Mistral-Small-24B-Instruct-2501.md",
        "2025-03-24",
        "github OpenMOSE/RWKV-LM-RLHF main/tokenizer/mistralsmall3/README.md @f4763414 (2025-03-24)",
    ),
    CardCopy(
        "hf_cards",
        HF_URL.format(repo="meta-llama/Llama-3.2-11B-Vision-Instruct"),
        "sources/model-cards/meta-llama__Llama-3.2-11B-Vision-Instruct.md",
        "2024-09-25",
        "public GitHub copy of the HF README (repository not recorded); the README dates it as "
        "the card for the 2024-09-25 release",
    ),
    CardCopy(
        "hf_cards",
        HF_URL.format(repo="meta-llama/Llama-3.1-8B-Instruct"),
        "sources/model-cards/meta-llama__Llama-3.1-8B-Instruct.md",
        "2025-04-18",
        "github leeds1219/multimodal Llama-3.1-8B-Instruct/README.md @36dc9efe "
        "(file added 2025-04-18)",
    ),
)
META_COPIES = tuple(
    CardCopy(
        "meta_cards",
        META_URL.format(path=f"{family}/{name}"),
        f"sources/model-cards/meta-llama-llama-models/{family}_{name}",
        "2025-07-15",
        f"github meta-llama/llama-models models/{family}/{name} @a9c89c47 (2025-07-15)",
    )
    for family, name in (
        ("llama3_2", "MODEL_CARD_VISION.md"),
        ("llama3_2", "MODEL_CARD.md"),
        ("llama3_1", "MODEL_CARD.md"),
        ("llama3_3", "MODEL_CARD.md"),
    )
)
PAGES_FETCHED_ON = "2026-08-21"
OWNED_SOURCES = ("hf_cards", "meta_cards", *(name for name, _, _ in PRICING_PAGES))

# --- stripping -----------------------------------------------------------------------------
# Front-matter keys kept: the short, machine-readable ones. Everything else (the gated license
# prompt, the gating form, widget examples) is prose or UI and is dropped.
FRONT_MATTER_KEEP = frozenset(
    {
        "license",
        "license_name",
        "license_link",
        "base_model",
        "base_model_relation",
        "pipeline_tag",
        "library_name",
        "language",
        "tags",
        "inference",
        "datasets",
        "extra_gated_eu_disallowed",
    }
)
MAX_FACT_LINE = 400  # characters; longer paragraphs are prose even when they mention a fact
_FACT_WORDS = re.compile(
    r"release date|context (?:window|length)|\d\s?B parameters|\bparams\b|knowledge cutoff|cutoff of"
    r"|data freshness|model developer|max_tokens|reasoning model|vision encoder|\[THINK\]"
    r"|think tokens|function calling|tool[- ]use formats?|tool calling|JSON output",
    re.IGNORECASE,
)
# A line that opens with a bold label about one of these is a key-feature statement.
_FACT_LABEL = re.compile(
    r"^\s*(?:[-*+]\s+)?\*\*[^*]*(?:licen[cs]e|vision|reasoning|multimodal|context|tool|function"
    r"|release)[^*]*\*\*",
    re.IGNORECASE,
)
_DATE_WORDS = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}",
    re.IGNORECASE,
)
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^\s{0,3}#{1,6}(\s|$)")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_BOLD_LABEL = re.compile(r"^\s*\*\*[^*]{1,80}\*\*\s*:?\s*$")


def split_front_matter(text: str) -> tuple[str | None, str]:
    """(front matter without its fences, body); (None, text) when the card has none."""
    if not text.startswith("---\n"):
        return None, text
    end = text.find("\n---\n", 3)
    if end == -1:
        return None, text
    return text[4 : end + 1], text[end + 5 :]


def strip_front_matter(front: str) -> str:
    """Keep only the top-level keys in FRONT_MATTER_KEEP, each with its own lines verbatim."""
    kept: list[str] = []
    keep = False
    for line in front.splitlines():
        top = re.match(r"^([A-Za-z_][\w-]*)\s*:", line)
        if top:
            keep = top.group(1) in FRONT_MATTER_KEEP
        if keep:
            kept.append(line)
    return "\n".join(kept) + "\n"


def _is_fact(text: str) -> bool:
    return len(text) <= MAX_FACT_LINE and bool(
        _FACT_WORDS.search(text) or _FACT_LABEL.match(text) or _DATE_WORDS.search(text)
    )


def strip_body(body: str) -> str:
    """Headings, tables and short fact lines of a Markdown body, blocks separated by blank lines."""
    blocks: list[list[str]] = []
    paragraph: list[str] = []
    fence: str | None = None
    in_html_table = False
    lines = body.splitlines()

    def flush_paragraph() -> None:
        if paragraph:
            text = " ".join(line.strip() for line in paragraph)
            if _is_fact(text) or _BOLD_LABEL.match(text):
                blocks.append(list(paragraph))
            paragraph.clear()

    def add(line: str, *, join: bool) -> None:
        if join and blocks:
            blocks[-1].append(line)
        else:
            blocks.append([line])

    previous_kind = ""
    for line in lines:
        if fence:
            if line.strip().startswith(fence):
                fence = None
            continue
        match = _FENCE.match(line)
        if match and not in_html_table:
            flush_paragraph()
            fence = match.group(1)[:3]
            previous_kind = ""
            continue
        if in_html_table or "<table" in line.lower():
            flush_paragraph()
            add(line, join=previous_kind == "html")
            in_html_table = "</table>" not in line.lower()
            previous_kind = "html" if in_html_table else ""
            continue
        if not line.strip():
            flush_paragraph()
            previous_kind = "" if previous_kind != "list" else "list"
            continue
        if _HEADING.match(line):
            flush_paragraph()
            add(line.rstrip(), join=False)
            previous_kind = ""
        elif line.lstrip().startswith("|"):
            flush_paragraph()
            add(line.rstrip(), join=previous_kind == "table")
            previous_kind = "table"
        elif _LIST_ITEM.match(line):
            flush_paragraph()
            if _is_fact(line.strip()):
                add(line.rstrip(), join=previous_kind == "list")
                previous_kind = "list"
            else:
                previous_kind = "list-dropped"
        elif re.match(r"^\s*</?(details|summary|p|br|div|span)\b", line, re.IGNORECASE):
            flush_paragraph()
            previous_kind = ""
        else:
            if previous_kind in ("list", "list-dropped") and line.startswith((" ", "\t")):
                continue  # the continuation of a list item; the item's first line decided
            paragraph.append(line.rstrip())
            previous_kind = "para"
    flush_paragraph()
    return "\n\n".join("\n".join(block) for block in blocks) + "\n"


def strip_card(text: str) -> str:
    text = text.replace("\r\n", "\n")
    front, body = split_front_matter(text)
    out = ""
    if front is not None:
        out = "---\n" + strip_front_matter(front) + "---\n\n"
    return out + strip_body(body)


# --- archiving -----------------------------------------------------------------------------
def _midnight(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC)


def card_responses(shared: Path) -> list[ArchivedResponse]:
    responses = []
    for copy in (*HF_COPIES, *META_COPIES):
        original = (shared / copy.path).read_text(encoding="utf-8")
        body = strip_card(original).encode("utf-8")
        note = (
            f"Copy of {copy.path} in the shared recordings ({copy.provenance}). Prose stripped "
            "by scripts/bundle_documents.py: kept the front matter minus long prose fields, all "
            "headings, all tables and the short lines that state a fact; "
            f"{len(original.encode('utf-8'))} bytes before, {len(body)} after. Fetch time is the "
            "date of the copy, approximate."
        )
        responses.append(
            ArchivedResponse.from_bytes(
                copy.source,
                copy.url,
                body,
                _midnight(copy.copied_on),
                content_type="text/markdown; charset=utf-8",
                approximate=True,
                note=note,
            )
        )
    return responses


def page_responses(fixtures: Path) -> list[ArchivedResponse]:
    responses = []
    for name, _title, url in PRICING_PAGES:
        path = fixtures / f"{name}.html"
        body = path.read_bytes()
        if not body.lstrip().startswith(b"<!--"):
            raise SystemExit(f"{path}: a made fixture must open with a comment naming its sources")
        responses.append(
            ArchivedResponse.from_bytes(
                name,
                url,
                body,
                _midnight(PAGES_FETCHED_ON),
                content_type="text/html; charset=utf-8",
                approximate=True,
                note=(
                    f"made fixture, not a recording: tests/fixtures/pricing_pages/{name}.html; "
                    "its opening comment names the recorded source of each figure"
                ),
            )
        )
    return responses


def prune_stale(archive: Archive, wanted: list[ArchivedResponse]) -> list[Path]:
    """Remove responses of the owned sources that the current inputs no longer produce."""
    # Archive has no delete API (it is append-only by design); these private path helpers keep
    # the layout in one place. Only files of OWNED_SOURCES, and blobs no response uses, go.
    keep = {archive._meta_path(r) for r in wanted}
    fetches = archive.root / "fetches"
    stale = [
        path
        for source in OWNED_SOURCES
        for path in sorted(fetches.glob(f"*/{source}/*.json"))
        if path not in keep
    ]
    if not stale:
        return []
    stale_blobs = {json.loads(p.read_text())["sha256"] for p in stale}
    for path in stale:
        path.unlink()
    still_used = {
        json.loads(p.read_text())["sha256"] for p in fetches.glob("*/*/*.json") if p.is_file()
    }
    for sha in sorted(stale_blobs - still_used):
        archive._blob_path(sha).unlink(missing_ok=True)
    for folder in sorted({p.parent for p in stale}, reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            if not any(folder.parent.iterdir()):
                folder.parent.rmdir()
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write the model cards (prose stripped) and the made pricing-page fixtures "
        "into the replay archive, as sources hf_cards, meta_cards and page_*.",
    )
    parser.add_argument(
        "--shared", type=Path, default=Path("../shared"),
        help="the shared recordings folder (default: ../shared)",
    )  # fmt: skip
    parser.add_argument(
        "--out", type=Path, default=Path("replay"),
        help="the replay archive root to write (default: replay)",
    )  # fmt: skip
    parser.add_argument(
        "--fixtures", type=Path, default=FIXTURES,
        help="folder of the made pricing-page fixtures (default: tests/fixtures/pricing_pages)",
    )  # fmt: skip
    parser.add_argument(
        "--keep-stale", action="store_true",
        help="keep earlier responses of these sources that the current inputs no longer produce",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if not (args.shared / "sources" / "model-cards").is_dir():
        parser.error(f"{args.shared}: no sources/model-cards folder here")

    archive = Archive(args.out)
    wanted = card_responses(args.shared) + page_responses(args.fixtures)
    written = 0
    for response in wanted:
        existed = archive._meta_path(response).exists()
        archive.put(response)
        written += not existed
        state = "unchanged" if existed else "written"
        print(
            f"{state:9} {response.source:16} {response.fetch_date} {response.size:7d} B  "
            f"{response.url}"
        )
    pruned = [] if args.keep_stale else prune_stale(archive, wanted)
    for path in pruned:
        print(f"removed   {path.relative_to(archive.root)} (stale)")
    print(
        f"{len(wanted)} responses ({written} new, {len(wanted) - written} unchanged, "
        f"{len(pruned)} stale removed) in {archive.root}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
