"""Publish: render the release from facts and pair facts, validate it, switch it in whole.

Grain: one JSON document per model, one per published pair, plus catalog, changes, index and
manifest under ``<export_dir>/current/v1/``. Blocking checks on the upstream assets stop this
asset from running at all, so a bad load never reaches a release.
"""

import datetime as dt
import json

import dagster as dg

from assets.compare import load_comparison_settings, pair_facts
from assets.normalize import resolve_as_of
from modelcompare import export
from pipelines.resources import HttpResource, ReleaseResource, WarehouseResource


def validate_document(path: str, body: bytes) -> None:
    """Every document parses, carries the contract version and, except index-type files, a
    last_reviewed stamp key. The JSON Schemas in schemas/ are checked by the tests."""
    doc = json.loads(body)
    if doc.get("schema_version") != export.SCHEMA_VERSION:
        raise ValueError(f"{path}: schema_version is {doc.get('schema_version')!r}")
    if doc.get("kind") in ("model", "pair") and "last_reviewed" not in doc:
        raise ValueError(f"{path}: no last_reviewed")


@dg.asset(
    key=["publish", "release"],
    group_name="publish",
    deps=[pair_facts],
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="warehouse",
    kinds={"json"},
)
def release(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    release: ReleaseResource,
    http: HttpResource,
) -> dg.MaterializeResult:
    """One release: JSON v1 documents for every model and every published pair, switched in
    atomically under <export_dir>/current. Unchanged input writes no file."""
    settings = load_comparison_settings()
    with warehouse.connect(read_only=False) as con:
        as_of = resolve_as_of(con, release, http)
        docs = export.build_documents(con, as_of, settings["blend"])
    context.log.info("Rendered %d documents as of %s", len(docs), as_of)

    result = export.publish(
        docs,
        release.export_dir,
        generated_at=dt.datetime.now(dt.UTC).replace(microsecond=0),
        validate=validate_document,
    )
    if result.changed:
        context.log.info(
            "Published release %s: %d files written, %d unchanged files linked",
            result.release_id, result.files_written, result.files_linked,
        )  # fmt: skip
    else:
        context.log.info("Nothing changed since release %s; nothing written", result.release_id)
    changes = result.changes
    return dg.MaterializeResult(
        metadata={
            "release_id": result.release_id,
            "changed": result.changed,
            "files_written": result.files_written,
            "files_unchanged": result.files_linked,
            "num_documents": len(docs),
            "as_of": as_of.isoformat(),
            "path": dg.MetadataValue.path(str(result.release_dir) if result.release_dir else ""),
            "num_price_changes": len(changes.get("price_changes", [])),
            "num_fact_changes": len(changes.get("fact_changes", [])),
        }
    )
