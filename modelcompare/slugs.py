"""Safe file names for ids that came from outside.

A model id is built from what sources wrote, so it can hold anything: ``/``, ``..``, NUL,
look-alike letters, right-to-left overrides. ``safe_slug`` keeps ``[a-z0-9-]`` plus inner dots;
an id that is already such a slug is its own file name, and any other id gets the slug of what
is left plus a 128-bit hash of the original. Two different ids never share a file:

- an id used as is never ends in ``-<32 hex digits>`` (such an id is hashed too), and every
  hashed name does, so a used-as-is name cannot equal a hashed one;
- two hashed names are equal only if their SHA-256 prefixes are, and 128 bits cannot be
  matched on purpose (a 40-bit hash could: a birthday search takes about a million tries).

A slug never contains ``--`` (pair files join two slugs with it) and is never a Windows device
name (``con``, ``nul``, ``com1``...), which no Windows program can open as a file.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_ALLOWED = re.compile(r"[^a-z0-9.\-]+")
MAX_LEN = 120
DIGEST_LEN = 32  # hex digits: 128 bits
_HASHED = re.compile(rf"-[0-9a-f]{{{DIGEST_LEN}}}$")
_DEVICES = frozenset(
    {"con", "prn", "aux", "nul"} | {f"{name}{n}" for name in ("com", "lpt") for n in range(1, 10)}
)


def safe_slug(value: str) -> str:
    text = unicodedata.normalize("NFKC", value).lower()
    slug = _ALLOWED.sub("-", text)
    slug = re.sub(r"\.{2,}", ".", slug)
    slug = re.sub(r"-{2,}", "-", slug).strip("-.")
    if (
        slug == value
        and slug
        and len(slug) <= MAX_LEN
        and not _HASHED.search(slug)
        and slug.split(".", 1)[0] not in _DEVICES
    ):
        return slug
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:DIGEST_LEN]
    prefix = slug[: MAX_LEN - DIGEST_LEN - 1].rstrip("-.") or "id"
    if prefix.split(".", 1)[0] in _DEVICES:  # "com1.json-<hash>" is still the device COM1
        prefix = prefix.replace(".", "-", 1)
    return f"{prefix}-{digest}"
