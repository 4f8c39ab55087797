"""Dagster wiring for modelcompare: definitions, resources, jobs, schedules and sensors."""

import warnings

import dagster as dg

# backfill_policy and pools are marked beta/preview in Dagster 1.13; we rely on both on purpose
# (single-run backfills over fetch dates, one writer per DuckDB file).
warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)
