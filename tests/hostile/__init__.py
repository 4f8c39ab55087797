"""Helpers of the hostile-input suite: hostile strings and bodies, built in the test, and a
runner of the whole pipeline through Dagster on a small archive in a temporary folder."""
