"""The curated registry (``registry/*.yaml``): canonical models, aliases, providers, licenses.

These files are data, reviewed like code. This module validates them and loads them into
``core.registry_*`` tables, where the identity SQL (``sql/build_identity.sql``) uses them.
Validation is strict: an alias claimed by two models would merge them silently, so it stops the
run with the alias named.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import yaml

REGISTRY_DIR = Path(__file__).resolve().parent.parent / "registry"
_MODEL_ID = re.compile(r"^[a-z0-9][a-z0-9.\-]{0,99}$")


class RegistryError(ValueError):
    """The curated registry contradicts itself."""


@dataclass(frozen=True)
class Registry:
    models: list[dict]
    aliases: list[tuple[str, str, str | None]]  # alias, model_id, quantization
    moving: list[tuple[str, dt.date, str]]  # alias, valid_from, model_id
    not_models: list[tuple[str, str]]  # raw id, reason
    providers: list[tuple[str, str, str, str]]  # spelling, provider, name, kind
    licenses: list[tuple[str, str, bool]]  # license id, name, open_weights
    license_spellings: list[tuple[str, str]]  # spelling (lower case), license id


def _load_yaml(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    if not isinstance(data, dict):
        raise RegistryError(f"{path.name}: expected a mapping at the top")
    return data


def load(directory: Path = REGISTRY_DIR) -> Registry:
    models_doc = _load_yaml(directory / "models.yaml")
    models, aliases = [], []
    ids = set()
    for entry in models_doc.get("models", []):
        model_id = entry["id"]
        if not _MODEL_ID.match(model_id) or model_id in ids:
            raise RegistryError(f"models.yaml: bad or repeated model id {model_id!r}")
        ids.add(model_id)
        models.append(
            {
                "model_id": model_id,
                "name": entry["name"],
                "creator": entry.get("creator"),
                "family": entry.get("family"),
                "version": entry.get("version"),
                "size": entry.get("size"),
                "variant": entry.get("variant"),
                "publish": bool(entry.get("publish", False)),
            }
        )
        aliases.append((model_id, model_id, None))
        aliases.extend((str(a), model_id, None) for a in entry.get("aliases", []))
        aliases.extend((str(a), model_id, str(q)) for a, q in entry.get("quantized", {}).items())
    moving = []
    for entry in models_doc.get("moving_aliases", []):
        for version in entry["versions"]:
            if version["model"] not in ids:
                raise RegistryError(
                    f"moving alias {entry['alias']!r} names unknown model {version['model']!r}"
                )
            moving.append((str(entry["alias"]), version["from"], version["model"]))
    not_models = [(e["id"], e["reason"]) for e in models_doc.get("not_models", [])]

    providers = []
    for slug, entry in _load_yaml(directory / "providers.yaml")["providers"].items():
        for spelling in {slug, *entry.get("spellings", [])}:
            providers.append((spelling, slug, entry["name"], entry["kind"]))
    licenses = [
        (lid, e["name"], bool(e["open_weights"]))
        for lid, e in _load_yaml(directory / "licenses.yaml")["licenses"].items()
    ]
    spellings = {}
    for lid, entry in _load_yaml(directory / "licenses.yaml")["licenses"].items():
        for spelling in {lid, *entry.get("spellings", [])}:
            key = str(spelling).strip().lower()
            if spellings.get(key, lid) != lid:
                raise RegistryError(
                    f"licenses.yaml: {spelling!r} names both {spellings[key]} and {lid}"
                )
            spellings[key] = lid
    return Registry(
        models, aliases, moving, not_models, providers, licenses, sorted(spellings.items())
    )


def write_tables(con: duckdb.DuckDBPyConnection, registry: Registry) -> None:
    """Replace the ``core.registry_*`` tables and check the aliases never claim two models."""
    con.execute("create schema if not exists core")
    con.execute(
        "create or replace table core.registry_models (model_id varchar primary key, name varchar,"
        " creator varchar, family varchar, version varchar, size varchar, variant varchar,"
        " publish boolean)"
    )
    con.executemany(
        "insert into core.registry_models values (?, ?, ?, ?, ?, ?, ?, ?)",
        [list(m.values()) for m in registry.models],
    )
    con.execute(
        "create or replace table core.registry_aliases (alias varchar, model_id varchar, quantization varchar)"
    )
    con.executemany("insert into core.registry_aliases values (?, ?, ?)", registry.aliases)
    con.execute(
        "create or replace table core.registry_moving_aliases (alias varchar, valid_from date, model_id varchar)"
    )
    if registry.moving:
        con.executemany(
            "insert into core.registry_moving_aliases values (?, ?, ?)", registry.moving
        )
    con.execute("create or replace table core.registry_not_models (raw_id varchar, reason varchar)")
    if registry.not_models:
        con.executemany("insert into core.registry_not_models values (?, ?)", registry.not_models)
    con.execute(
        "create or replace table core.registry_providers (spelling varchar primary key,"
        " provider varchar, name varchar, kind varchar)"
    )
    con.executemany("insert into core.registry_providers values (?, ?, ?, ?)", registry.providers)
    con.execute(
        "create or replace table core.registry_licenses (license_id varchar primary key,"
        " name varchar, open_weights boolean)"
    )
    con.executemany("insert into core.registry_licenses values (?, ?, ?)", registry.licenses)
    con.execute(
        "create or replace table core.registry_license_spellings (spelling varchar primary key,"
        " license_id varchar)"
    )
    con.executemany(
        "insert into core.registry_license_spellings values (?, ?)", registry.license_spellings
    )
