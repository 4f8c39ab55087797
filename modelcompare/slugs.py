"""Safe file names for ids that came from outside.

A model id is built from what sources wrote, so it can hold anything: ``/``, ``..``, NUL,
look-alike letters. ``safe_slug`` keeps ``[a-z0-9-]`` plus inner dots, and whenever it had to
change anything it appends a hash of the original, so two different ids never share a file.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_ALLOWED = re.compile(r"[^a-z0-9.\-]+")
MAX_LEN = 120


def safe_slug(value: str) -> str:
    text = unicodedata.normalize("NFKC", value).lower()
    slug = _ALLOWED.sub("-", text)
    slug = re.sub(r"\.{2,}", ".", slug)
    slug = re.sub(r"-{2,}", "-", slug).strip("-.")
    if slug != value or not slug or len(slug) > MAX_LEN:
        digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        slug = f"{slug[: MAX_LEN - 11] or 'id'}-{digest}"
    return slug
