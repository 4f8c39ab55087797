"""Hostile inputs, generated: strings for every text field and bodies for every source.

Big bodies (bombs, deep nesting, thousands of tables) are built here in a few lines, never
committed. Every generator is bounded: sizes are arguments, and the decompression bomb is fed
to the compressor in chunks, so building it never holds its unpacked size in memory.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import zlib

# Markup and script that must come out as text: escaped in pages, intact in JSON. Each carries
# "mcxss" so a page can be searched for any of them that survived as markup.
MARKUP = (
    '<script>alert("mcxss-1")</script>',
    '"><img src=x onerror=mcxss(2)>',
    "' onmouseover='mcxss(3)' x='",
    "javascript:mcxss(4)",
    "<mc-evil>mcxss-5</mc-evil>",
    "</script><script>mcxss(6)</script>",
    "{{ 7*7 }}{% if 1 %}mcxss-7{% endif %}",
    "<!-- mcxss-8 --><![CDATA[ ]]>",
    "<svg/onload=mcxss(9)>",
)
SQL = "'); drop table raw.observations; --"
# Ids that become file names or URLs: separators, climbing, NUL, device names, look-alikes,
# direction overrides, invisible characters, very long ones.
PATHY = (
    "../../../../etc/passwd",
    "..\\..\\windows\\system32",
    "/absolute/path",
    "a/b/../../c",
    "nul",
    "CON.json",
    "model\x00.json",
    "..",
    ".",
    "",
)
LOOKALIKE = (
    "gpt-4o",  # the real spelling, beside its look-alikes
    "gpt\u20104o",  # U+2010 hyphen
    "gpt-4\u043e",  # Cyrillic o
    "\uff47\uff50\uff54-4o",  # fullwidth
    "gpt-4o\u200b",  # zero-width space
    "\u202eo4-tpg",  # right-to-left override
    "GPT-4O",
    "gpt_4o",
    "gpt.4o",
    "gpt--4o",
)
LONG = ("x" * 5000, "\u00e9" * 3000, "\U0001f999" * 2000)


def openrouter_models(entries: list[dict], filler: int = 60) -> bytes:
    """An OpenRouter /models body: the given entries, then plain filler models so the source
    has the 50 records it always has."""
    data = list(entries)
    for i in range(filler):
        data.append(
            {
                "id": f"filler/model-{i:03d}",
                "name": f"Filler {i}",
                "context_length": 8192,
                "pricing": {"prompt": "0.000001", "completion": "0.000002"},
            }
        )
    return json.dumps({"data": data}).encode()


def deep_json(depth: int) -> bytes:
    return b'{"data": ' + b"[" * depth + b"]" * depth + b"}"


def billion_laughs(levels: int = 9, fan: int = 10) -> str:
    """A YAML alias bomb: ``fan ** levels`` leaves from a few hundred bytes."""
    lines = ["l0: &l0 [" + ", ".join(["lol"] * fan) + "]"]
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * fan) + "]")
    return "\n".join(lines) + "\n"


def nested_tables(depth: int, priced: bool = True) -> bytes:
    """Tables nested ``depth`` deep, each with a priced header row when ``priced``."""
    head = "<table><tr><th>Model</th><th>Input</th><th>Output</th></tr>"
    row = "<tr><td>m{i}</td><td>$1</td><td>$2</td></tr>" if priced else ""
    parts = ["<h2>Prices per 1M tokens</h2>"]
    for i in range(depth):
        parts.append(head + row.format(i=i) + "<tr><td>")
    parts.append("x" + "</td></tr></table>" * depth)
    return "".join(parts).encode()


def tar_gz(files: dict[str, bytes], *, links: dict[str, str] | None = None) -> bytes:
    """A .tar.gz with regular files and, optionally, symlinks (name -> target)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
    return buffer.getvalue()


def tar_bomb(member: str, unpacked: int, chunk: int = 1 << 20) -> bytes:
    """A .tar.gz whose one member claims and holds ``unpacked`` zero bytes (compressed ~1000:1).

    Built by streaming zeros through the compressor: memory stays at one chunk.
    """
    info = tarfile.TarInfo(member)
    info.size = unpacked
    header = info.tobuf(format=tarfile.GNU_FORMAT)
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    out = [packer.compress(header)]
    zeros = bytes(chunk)
    left = unpacked
    while left > 0:
        out.append(packer.compress(zeros[: min(chunk, left)]))
        left -= chunk
    padding = (512 - unpacked % 512) % 512
    out.append(packer.compress(bytes(padding + 1024)))  # pad the member, then the end blocks
    out.append(packer.flush())
    return b"".join(out)


def gzip_bomb(unpacked: int, chunk: int = 1 << 20) -> bytes:
    """A gzip stream of ``unpacked`` zero bytes (for a Content-Encoding: gzip response)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(chunk)
    out, left = [], unpacked
    while left > 0:
        out.append(packer.compress(zeros[: min(chunk, left)]))
        left -= chunk
    out.append(packer.flush())
    return b"".join(out)


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)
