"""File names from ids written by others: ``safe_slug`` is safe on every platform and never
gives two ids one file, including ids built on purpose to collide."""

from __future__ import annotations

import itertools
import re
import unicodedata

import pytest

from modelcompare.export import pair_file_stem
from modelcompare.slugs import DIGEST_LEN, MAX_LEN, safe_slug
from tests.hostile import inputs

SAFE = re.compile(r"^[a-z0-9](?:[a-z0-9.\-]*[a-z0-9])?$")
DEVICES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10))}
DEVICES |= {f"lpt{i}" for i in range(1, 10)}


def _case_variants(text: str) -> set[str]:
    letters = [(c.lower(), c.upper()) if c.isalpha() else (c,) for c in text]
    return {"".join(p) for p in itertools.product(*letters)}


def near_duplicates() -> list[str]:
    """Ids that differ from "gpt-4o-mini" only by case, Unicode form, look-alikes, invisible
    characters or punctuation: several hundred of them."""
    base = "gpt-4o-mini"
    ids = set(_case_variants(base))  # 2^7 = 128
    ids |= set(inputs.LOOKALIKE)
    for sep in ("-", "_", ".", " ", "/", "\\", ":", "--", "..", "\u2010", "\u2212", "\u00ad"):
        ids.add(base.replace("-", sep))
    for form in ("NFC", "NFD", "NFKC", "NFKD"):
        ids.add(unicodedata.normalize(form, "gpt-4\u00f6-mini"))  # composed and decomposed o-umlaut
    for invisible in ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202e", "\u202d", "\x00"):
        ids.update(base[:i] + invisible + base[i:] for i in range(len(base) + 1))
    ids.update(f" {base}", f"{base} ", f"{base}.", f".{base}", f"-{base}", f"{base}-")
    ids.update({"\uff47\uff50\uff54-4o-mini", "\U0001d420pt-4o-mini", "\u0261pt-4o-mini"})
    return sorted(ids)


HOSTILE = [
    *near_duplicates(),
    *inputs.PATHY,
    *inputs.LONG,
    *inputs.MARKUP,
    inputs.SQL,
    "a" * MAX_LEN,
    "a" * (MAX_LEN + 1),
    "a-" * 200,
    "x" * (MAX_LEN - DIGEST_LEN - 2) + "-.-tail",
]


def test_hostile_set_is_large():
    assert len(near_duplicates()) > 250


@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: repr(v)[:40])
def test_every_slug_is_a_safe_portable_file_name(value):
    slug = safe_slug(value)
    assert SAFE.match(slug), slug
    assert len(slug) <= MAX_LEN
    assert "--" not in slug  # pair files join two slugs with "--"
    assert slug.split(".", 1)[0] not in DEVICES
    assert slug == safe_slug(value)  # the same id always gets the same name


def test_ids_that_differ_only_by_case_unicode_or_punctuation_get_distinct_files():
    ids = sorted(set(HOSTILE))
    slugs = [safe_slug(i) for i in ids]
    assert len(set(slugs)) == len(ids)


def test_a_clean_id_is_its_own_name():
    for value in ("gpt-4o", "llama-3.2-11b-vision-instruct", "o3", "a.b"):
        assert safe_slug(value) == value


def test_an_id_that_looks_like_a_hashed_name_cannot_take_that_name():
    for victim in ("GPT-4o", "gpt 4o", "../gpt-4o", "", "con"):
        hashed = safe_slug(victim)
        assert re.search(rf"-[0-9a-f]{{{DIGEST_LEN}}}$", hashed)
        # an attacker names a model exactly what the victim's file is called
        assert safe_slug(hashed) != hashed
        assert safe_slug(hashed) != safe_slug(victim)


def test_hash_is_128_bits():
    digest = safe_slug("Not Clean").rsplit("-", 1)[1]
    assert len(digest) == DIGEST_LEN == 32


@pytest.mark.parametrize("value", ["con", "NUL", "com1.json", "lpt9", "aux.x"])
def test_windows_device_names_are_never_file_names(value):
    assert safe_slug(value).split(".", 1)[0] not in DEVICES


def test_pair_file_names_never_collide():
    ids = sorted(set(HOSTILE))[:120]
    stems = {pair_file_stem(a, b) for a, b in itertools.combinations(ids, 2)}
    assert len(stems) == len(ids) * (len(ids) - 1) // 2
