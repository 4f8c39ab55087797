"""Build the project's replay archive (``replay/``) from the recorded public sources in ../shared.

Why this exists: tests and offline runs must work from a fresh clone, which has no ../shared. So
the repository ships its own copy of every recorded structured response, filed under the live
URL it stands for (``modelcompare.sources``) with an honest fetch time: the copy's date, marked
approximate, wherever the real fetch time is unknown, and a note saying where the bytes came from.

What is kept: every figure and the structure the parsers read. What is dropped: prose
(``description`` fields), to keep the archive small. JSON that has to be rewritten is written by
a small serializer that copies each number's original text, so ``1.5e-07`` stays ``1.5e-07``.

Deterministic and idempotent: the same ../shared gives byte-identical files, and a second run
writes nothing new. Responses this script wrote earlier that it would no longer write (for its
own sources only) are removed, with blobs no other response uses; nothing else is touched.

Usage: python scripts/bundle_sources.py [--shared ../shared] [--out replay]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import io
import json
import re
import sys
import tarfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import yaml

# Run as a plain script from a fresh clone (the package need not be installed).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from modelcompare import sources  # noqa: E402  (needs sys.path above)
from modelcompare.archive import Archive, ArchivedResponse  # noqa: E402

JSON = "application/json"
UTC = dt.UTC
MODELS_DEV_COMMIT = "f3fc692299671838c7c65fd8126bf84d81a2e817"
MODELS_DEV_TOP = "models.dev-dev"
# Files left out of the models.dev archive: docs, logos, scripts, and Cloudflare's side data.
MODELS_DEV_SKIP = re.compile(
    r"(^|/)README\.md$|\.(svg|sh|ts|png)$|^providers/cloudflare-ai-gateway/data/"
)
TAR_MTIME = int(dt.datetime(2026, 7, 2, tzinfo=UTC).timestamp())
BUNDLED_SOURCES = (
    "openrouter",
    "openrouter_endpoints",
    "models_dev",
    "litellm",
    "genai_prices",
    "genai_prices_legacy",
    "llm_prices",
    "aa_benchmarks",
)


# --- exact-text JSON -------------------------------------------------------------------------------
class _RawNumber(str):
    """A JSON number kept as the text the file wrote it with."""


def load_exact(data: bytes) -> object:
    return json.loads(data, parse_float=_RawNumber, parse_int=_RawNumber)


def dump_exact(value: object) -> str:
    """Compact JSON; numbers are written back exactly as they were read."""
    if isinstance(value, _RawNumber):
        return str(value)
    if isinstance(value, dict):
        items = (f"{json.dumps(k, ensure_ascii=False)}:{dump_exact(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(dump_exact(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def strip_keys(value: object, keys: frozenset[str]) -> object:
    """A copy of ``value`` without the given keys, at any depth."""
    if isinstance(value, dict):
        return {k: strip_keys(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [strip_keys(v, keys) for v in value]
    return value


PROSE = frozenset({"description"})


def json_body(value: object) -> bytes:
    return (dump_exact(strip_keys(value, PROSE)) + "\n").encode()


def day(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def response(
    source: str, url: str, body: bytes, fetched_at: dt.datetime, note: str, **kw
) -> ArchivedResponse:
    kw.setdefault("approximate", True)
    kw.setdefault("content_type", JSON)
    return ArchivedResponse.from_bytes(source, url, body, fetched_at, note=note, **kw)


def url_of(source: str, part: str = "") -> str:
    matches = [u for u in sources.source(source).urls if part in u]
    if len(matches) != 1:
        raise LookupError(f"{source}: {len(matches)} registry URLs contain {part!r}")
    return matches[0]


# --- OpenRouter ----------------------------------------------------------------------------------
SNAPSHOTS = {
    "models-2025-12-02.json": (
        "2025-12-02",
        "Copy of a raw GET /api/v1/models response kept in github lightnesscaster/Chess-LLM-Benchmark "
        "data/openrouter_models.json, commit 958cc141193de4d62f050e3057a0f1452a5c1514 (committed "
        "2025-12-02T22:07:35-05:00); the real fetch time is unknown, so this is the copy's date.",
    ),
    "models-2026-05-15.json": (
        "2026-05-15",
        "Copy of a raw GET /api/v1/models response kept in github anomalyco/models.dev models.json "
        "(added in commit c2c5cc8f21d590edb2f52219d20016606c0d00df); newest 'created' 2026-05-12; "
        "the real fetch time is unknown, so this is the copy's date.",
    ),
}
STRIPPED = " 'description' fields removed and the JSON re-serialised compactly; every other key and number kept as written."


def openrouter(shared: Path) -> Iterator[ArchivedResponse]:
    url = url_of("openrouter")
    for name, (date, note) in SNAPSHOTS.items():
        body = json_body(load_exact((shared / "sources/openrouter" / name).read_bytes()))
        yield response("openrouter", url, body, day(date), note + STRIPPED)
    daily = shared / "sources/openrouter-daily"
    with (daily / "commits.tsv").open(newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            data = load_exact((daily / f"{row['date']}.json").read_bytes())
            note = (
                f"Nightly copy from github skissue/gptel-openrouter-models openrouter-models.json, commit "
                f"{row['commit']}; fetched_at is that commit's time. The repository stores only the "
                "'data' array; it was wrapped back into {\"data\": [...]} like the live response."
                + STRIPPED
            )
            yield response(
                "openrouter",
                url,
                json_body({"data": data}),
                dt.datetime.fromisoformat(row["committed_at"]),
                note,
            )


# --- OpenRouter endpoints (made) -------------------------------------------------------------------
def _per_token(value: _RawNumber) -> str:
    """A LiteLLM per-token number as OpenRouter writes prices: a plain decimal string."""
    return format(Decimal(value), "f")


def _endpoint(name: str, tag: str, entry: dict, model: dict) -> dict:
    return {
        "name": f"{name} | {model['id']}",
        "model_name": model["name"],
        "provider_name": name,
        "tag": tag,
        "context_length": int(entry["max_input_tokens"]),
        "max_completion_tokens": int(entry["max_output_tokens"]),
        "max_prompt_tokens": int(entry["max_input_tokens"]),
        "pricing": {
            "prompt": _per_token(entry["input_cost_per_token"]),
            "completion": _per_token(entry["output_cost_per_token"]),
        },
        "quantization": "unknown",
        "supported_parameters": model["supported_parameters"],
        "status": 0,
    }


# (OpenRouter model id, snapshot that lists it, upstream name, tag, LiteLLM key with the figures)
ENDPOINT_FIXTURES = (
    (
        "meta-llama/llama-3.2-11b-vision-instruct",
        "models-2026-05-15.json",
        "DeepInfra",
        "deepinfra",
        "deepinfra/meta-llama/Llama-3.2-11B-Vision-Instruct",
    ),
    (
        "mistralai/magistral-small-2506",
        "models-2025-12-02.json",
        "Mistral",
        "mistral",
        "mistral/magistral-small-2506",
    ),
)


def openrouter_endpoints(shared: Path) -> Iterator[ArchivedResponse]:
    litellm = load_exact(
        (shared / "sources/litellm/model_prices_and_context_window.json").read_bytes()
    )
    for model_id, snapshot, name, tag, key in ENDPOINT_FIXTURES:
        listing = load_exact((shared / "sources/openrouter" / snapshot).read_bytes())
        model = next(m for m in listing["data"] if m["id"] == model_id)
        data = {k: model[k] for k in ("id", "name", "created", "architecture")}
        data["endpoints"] = [_endpoint(name, tag, litellm[key], model)]
        note = (
            "made fixture: no recorded /endpoints response exists. Shape follows OpenRouter's documented "
            f"ListEndpointsResponse. Model id, name, created and architecture from the OpenRouter {snapshot} "
            f"snapshot; the one endpoint ({name}) has the prices and limits of LiteLLM's '{key}' entry (mirror "
            "of 2026-07-24): context_length and max_prompt_tokens = max_input_tokens, max_completion_tokens "
            "= max_output_tokens, per-token prices as plain decimals; supported_parameters copied from the "
            "model's /models entry; quantization 'unknown' because no source states it."
        )
        yield response(
            "openrouter_endpoints",
            url_of("openrouter_endpoints", model_id),
            json_body({"data": data}),
            day("2026-05-15"),
            note,
        )


# --- models.dev ----------------------------------------------------------------------------------
def _tar_info(name: str, size: int | None = None) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.mtime, info.uid, info.gid, info.uname, info.gname = TAR_MTIME, 0, 0, "", ""
    if size is None:
        info.type, info.mode = tarfile.DIRTYPE, 0o755
    else:
        info.size, info.mode = size, 0o644
    return info


def models_dev_tarball(root: Path) -> bytes:
    """A .tar.gz like GitHub's source archive of the repo: sorted members, fixed times and owners."""
    files = sorted(
        rel
        for top in ("providers", "models")
        for path in (root / top).rglob("*")
        if path.is_file() and not MODELS_DEV_SKIP.search(rel := path.relative_to(root).as_posix())
    )
    files.append("LICENSE")
    dirs = {"/".join(f.split("/")[:i]) for f in files for i in range(1, f.count("/") + 1)}
    raw = io.BytesIO()
    with tarfile.open(
        fileobj=raw, mode="w", format=tarfile.PAX_FORMAT, pax_headers={"comment": MODELS_DEV_COMMIT}
    ) as tar:
        tar.addfile(_tar_info(f"{MODELS_DEV_TOP}/"))
        for name in sorted(dirs.union(files)):
            if name in dirs:
                tar.addfile(_tar_info(f"{MODELS_DEV_TOP}/{name}/"))
            else:
                data = (root / name).read_bytes()
                tar.addfile(_tar_info(f"{MODELS_DEV_TOP}/{name}", len(data)), io.BytesIO(data))
    return gzip.compress(raw.getvalue(), compresslevel=9, mtime=0)


def models_dev(shared: Path) -> Iterator[ArchivedResponse]:
    note = (
        f"Made here from the github anomalyco/models.dev tree at commit {MODELS_DEV_COMMIT} (2026-07-02), "
        f"laid out like GitHub's source archive (top folder {MODELS_DEV_TOP}/): providers/** and models/** "
        "TOML files and LICENSE; READMEs, logos, scripts and providers/cloudflare-ai-gateway/data/*.json "
        "left out; git symlinks replaced by their targets' content. Fetch time is the commit's date."
    )
    body = models_dev_tarball(shared / "sources/models-dev")
    yield response(
        "models_dev",
        url_of("models_dev"),
        body,
        day("2026-07-02"),
        note,
        content_type="application/x-gzip",
    )


# --- LiteLLM, genai-prices, llm-prices, Artificial Analysis -------------------------------------------
def litellm(shared: Path) -> Iterator[ArchivedResponse]:
    data = load_exact(
        (shared / "sources/litellm/model_prices_and_context_window.json").read_bytes()
    )
    stamp = data.pop("last_updated")
    note = (
        "Copy from github RoCry/llm-api-price (commit 8442b939a6ead479f7995b5d74d8dce488bd0966), an hourly "
        "mirror of BerriAI/litellm's file. fetched_at is the mirror's own last_updated stamp, the time it "
        f"copied the upstream file ({stamp}), so it is not approximate; that added top-level key was removed."
        + STRIPPED
    )
    yield response(
        "litellm",
        url_of("litellm"),
        json_body(data),
        dt.datetime.fromisoformat(stamp),
        note,
        approximate=False,
    )


def strip_yaml_descriptions(text: str) -> str:
    """Remove ``description:`` entries (and their folded lines) from a YAML text, nothing else.

    Done on the text, not by re-dumping, so numbers, dates, comments and layout stay exactly as
    written; ``bundle`` checks the result loads to the same data minus the descriptions.
    """
    lines, out, i = text.splitlines(keepends=True), [], 0
    while i < len(lines):
        match = re.match(r"^(\s*)description:", lines[i])
        if not match:
            out.append(lines[i])
            i += 1
            continue
        indent, i = len(match.group(1)), i + 1
        while i < len(lines) and _continues(lines, i, indent):
            i += 1
    return "".join(out)


def _continues(lines: list[str], i: int, indent: int) -> bool:
    """Whether line ``i`` still belongs to a value that started at ``indent``."""
    if lines[i].strip():
        return len(lines[i]) - len(lines[i].lstrip()) > indent
    following = next((line for line in lines[i:] if line.strip()), "")
    return len(following) - len(following.lstrip()) > indent


def _check_yaml(original: str, stripped: str, name: str) -> None:
    if strip_keys(yaml.safe_load(original), PROSE) != yaml.safe_load(stripped):
        raise RuntimeError(f"stripping descriptions changed the data of {name}")


def genai_prices(shared: Path) -> Iterator[ArchivedResponse]:
    note = (
        "Copy of prices/providers/{p}.yml from github pydantic/genai-prices, commit "
        "47df840a5ab10bbcffb8e5ac01b9899032245d1b (2026-08-21); fetch time is the commit's date. "
        "'description' entries removed from the text; everything else byte-for-byte."
    )
    for provider in sources.GENAI_PRICES_PROVIDERS:
        original = (shared / f"sources/genai-prices/providers/{provider}.yml").read_text()
        stripped = strip_yaml_descriptions(original)
        _check_yaml(original, stripped, provider)
        url = url_of("genai_prices", f"/{provider}.yml")
        yield response(
            "genai_prices",
            url,
            stripped.encode(),
            day("2026-08-21"),
            note.format(p=provider),
            content_type="text/yaml",
        )


def genai_prices_legacy(shared: Path) -> Iterator[ArchivedResponse]:
    raw = load_exact((shared / "sources/genai-prices/data.json").read_bytes())
    note = (
        "Copy of prices/data.json from github pydantic/genai-prices, commit "
        "47df840a5ab10bbcffb8e5ac01b9899032245d1b (2026-08-21); a legacy file frozen upstream, kept "
        "as a cross-check. 'description' fields removed; every other key and number kept as written."
    )
    yield response(
        "genai_prices_legacy",
        url_of("genai_prices_legacy"),
        json_body(raw),
        day("2026-08-21"),
        note,
    )


def llm_prices(shared: Path) -> Iterator[ArchivedResponse]:
    for vendor in sources.LLM_PRICES_VENDORS:
        body = (shared / f"sources/llm-prices/{vendor}.json").read_bytes()
        note = (
            f"Copy of data/{vendor}.json from github simonw/llm-prices, commit "
            "723ef0bd3a6254436e9fe8d7f05d4d787e99f4c5 (2026-08-05), byte-for-byte; fetch time is the commit's date."
        )
        yield response(
            "llm_prices", url_of("llm_prices", f"/{vendor}.json"), body, day("2026-08-05"), note
        )


def aa_benchmarks(shared: Path) -> Iterator[ArchivedResponse]:
    body = (shared / "sources/benchmarks/token-tariff_aa_models.json").read_bytes()
    note = (
        "Figures are Artificial Analysis data (artificialanalysis.ai), as copied by github "
        "Prajwalsrinvas/token-tariff aa_models.json (commit dc2baf9d80f97138860483855433ff2936886b20, "
        "file last changed 2026-07-05), byte-for-byte; vintage no later than 2026-07-05 per that repo's "
        "provenance note."
    )
    yield response("aa_benchmarks", url_of("aa_benchmarks"), body, day("2026-07-05"), note)


BUILDERS = (
    openrouter,
    openrouter_endpoints,
    models_dev,
    litellm,
    genai_prices,
    genai_prices_legacy,
    llm_prices,
    aa_benchmarks,
)


# --- writing -------------------------------------------------------------------------------------
def prune(archive: Archive, keep: list[ArchivedResponse]) -> int:
    """Remove metas of our sources that this run did not produce, and blobs only they used."""
    wanted = {(r.source, r.fetch_date, r.response_id) for r in keep}
    stale = [
        r
        for r in archive.iter_responses()
        if r.source in BUNDLED_SOURCES and (r.source, r.fetch_date, r.response_id) not in wanted
    ]
    # The archive is append-only by design and has no delete; this script owns these files, so it
    # reaches for the archive's own path rules rather than repeating them.
    for r in stale:
        archive._meta_path(r).unlink()
    used = {r.sha256 for r in archive.iter_responses()}
    for r in stale:
        if r.sha256 not in used:
            archive._blob_path(r.sha256).unlink(missing_ok=True)
    return len(stale)


def bundle(shared: Path, out: Path) -> list[ArchivedResponse]:
    archive = Archive(out)
    built = [r for builder in BUILDERS for r in builder(shared)]
    for r in built:
        archive.put(r)
    pruned = prune(archive, built)
    if pruned:
        print(f"removed {pruned} stale responses of the bundled sources")
    return built


def summary(built: list[ArchivedResponse], out: Path) -> None:
    for source in BUNDLED_SOURCES:
        mine = [r for r in built if r.source == source]
        blobs = sum((out / "blobs" / r.sha256[:2] / f"{r.sha256}.gz").stat().st_size for r in mine)
        raw = sum(r.size for r in mine)
        print(f"{source:22} {len(mine):3} responses  {raw:>10,} bytes  {blobs:>9,} bytes gzipped")
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"{'total':22} {len(built):3} responses  replay/ holds {total:,} bytes on disk")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--shared",
        type=Path,
        default=Path("../shared"),
        help="the recorded sources (default ../shared)",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("replay"), help="the replay archive root (default replay)"
    )
    args = parser.parse_args(argv)
    if not (args.shared / "sources").is_dir():
        parser.error(f"no sources/ folder under {args.shared}")
    built = bundle(args.shared, args.out)
    summary(built, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
