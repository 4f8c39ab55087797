"""Publish: render the release from facts and pair facts, validate it, switch it in whole.

Grain: one JSON document per model, one per published pair, plus catalog, changes, index,
manifest and the JSON Schemas under ``<export_dir>/current/v1/``, and one HTML page per
published pair and published model plus an index under ``<export_dir>/current/site/``. Every
file is checked against the contract (``schemas/v1`` and the checks in
``export.document_errors``) before anything is written: a failure stops the release and the
previous one stays current. Blocking checks on the upstream assets stop this asset from running
at all, so a bad load never reaches a release.
"""

import datetime as dt

import dagster as dg

from assets.compare import load_comparison_settings, pair_facts
from assets.normalize import resolve_as_of, source_fetches
from modelcompare import export, pages
from pipelines.resources import HttpResource, ReleaseResource, WarehouseResource

CONTRACT_CHECK = "documents_match_contract"


@dg.asset(
    key=["publish", "release"],
    group_name="publish",
    deps=[pair_facts],
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="warehouse",
    kinds={"json", "html"},
    check_specs=[
        dg.AssetCheckSpec(
            CONTRACT_CHECK,
            asset=["publish", "release"],
            blocking=True,
            description="Every file of the release matches the v1 contract (JSON Schemas, "
            "resolvable sources, last_reviewed, distinct statements, static pages). A failure "
            "stops the release before anything is written.",
        )
    ],
)
def release(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    release: ReleaseResource,
    http: HttpResource,
):
    """One release: JSON v1 documents for every model and every published pair, and pages for
    the published ones, switched in atomically under <export_dir>/current. Unchanged input
    writes no file; inputs identical to the current release's (warehouse tables, code,
    templates, schemas, registry, settings, as-of: ``export.inputs_fingerprint``) are not even
    rendered."""
    settings = load_comparison_settings()
    with warehouse.connect(read_only=True) as con:  # reads only: a no-op run writes nothing
        as_of = resolve_as_of(con, release, http)
        sources = source_fetches(con)
        inputs = export.inputs_fingerprint(con, as_of, settings["blend"], pages=release.pages)
        same = export.release_for_inputs(release.export_dir, inputs)
        if same is None:
            docs = export.build_documents(con, as_of, settings["blend"])
    if same is not None:
        # Same warehouse, code, settings and as-of as the current release: it would render
        # byte for byte the same, so nothing is rendered, checked again or written.
        context.log.info(
            "Nothing changed since release %s: same inputs (fingerprint %s), no file written",
            same.name, inputs[:16],
        )  # fmt: skip
        yield dg.MaterializeResult(
            metadata={
                "release_id": same.name,
                "changed": False,
                "files_written": 0,
                "files_unchanged": 0,
                "files_checked": 0,
                "inputs_unchanged": True,
                "inputs_fingerprint": inputs,
                "as_of": as_of.isoformat(),
                "sources": sources,
                "path": dg.MetadataValue.path(str(same)),
            }
        )
        yield dg.AssetCheckResult(
            check_name=CONTRACT_CHECK,
            passed=True,
            metadata={"files_checked": 0, "release_changed": False, "inputs_unchanged": True},
        )
        return
    num_documents = len(docs)
    if release.pages:
        docs.update(pages.render_site(docs))
    context.log.info(
        "Rendered %d documents and %d pages as of %s",
        num_documents, len(docs) - num_documents, as_of,
    )  # fmt: skip

    checked = []

    def validate(files: dict[str, bytes]) -> None:
        checked.append(export.validate_documents(files))

    try:
        result = export.publish(
            docs,
            release.export_dir,
            generated_at=dt.datetime.now(dt.UTC).replace(microsecond=0),
            validate=validate,
        )
    except export.ReleaseInvalid as exc:
        context.log.error("Release refused: %s", exc)
        raise dg.Failure(
            description="The release breaks the v1 contract; the previous release stays current.",
            metadata={"errors": dg.MetadataValue.text(str(exc)[:5000])},
        ) from exc

    not_recorded = export.record_inputs(release.export_dir, inputs, result.release_id)
    if not_recorded:
        context.log.warning(
            "Could not record this release's inputs (%s); the next run renders it in full",
            not_recorded,
        )
    if result.changed:
        context.log.info(
            "Published release %s: %d files written, %d unchanged files linked, %d checked",
            result.release_id, result.files_written, result.files_linked, sum(checked),
        )  # fmt: skip
    else:
        context.log.info("Nothing changed since release %s: no file written", result.release_id)
    changes = result.changes
    yield dg.MaterializeResult(
        metadata={
            "release_id": result.release_id,
            "changed": result.changed,
            "files_written": result.files_written,
            "files_unchanged": result.files_linked,
            "files_checked": sum(checked),
            "num_documents": num_documents,
            "num_pages": len(docs) - num_documents,
            "as_of": as_of.isoformat(),
            "sources": sources,
            "path": dg.MetadataValue.path(str(result.release_dir) if result.release_dir else ""),
            "num_price_changes": len(changes.get("price_changes", [])),
            "num_fact_changes": len(changes.get("fact_changes", [])),
            "num_documents_changed": len(changes.get("documents_changed", [])),
            "inputs_unchanged": False,
            "inputs_fingerprint": inputs,
        }
    )
    yield dg.AssetCheckResult(
        check_name=CONTRACT_CHECK,
        passed=True,
        metadata={"files_checked": sum(checked), "release_changed": result.changed},
    )
