"""One refresh in its own process, for the crash-safety test to kill.

    python -m tests.hostile.refresh_child ROOT AS_OF

ROOT holds ``archive/`` (built by the test); the warehouse and the exports are written beside
it, as ``tests.hostile.pipeline.Layout`` places them. AS_OF changes from run to run so that
every run publishes a new release (an unchanged one writes nothing, and would test nothing).
Prints ``phase <name>`` as each stage starts, then ``published <release id>``, and exits 0
when the release step succeeded, else 1. Only the sources the archive holds are loaded.
"""

from __future__ import annotations

import sys
from pathlib import Path

import dagster as dg

from tests.hostile.pipeline import Layout, refresh


def _say(name: str) -> None:
    sys.stdout.write(f"phase {name}\n")
    sys.stdout.flush()


def main(root: str, as_of: str) -> int:
    layout = Layout(Path(root))
    with dg.DagsterInstance.ephemeral() as instance:
        outcome = refresh(layout, instance, as_of=as_of, only_archived=True, on_phase=_say)
    if "publish__release" not in outcome.succeeded_steps:
        sys.stderr.write(f"release failed: {outcome.failed_steps}\n")
        return 1
    current = (layout.exports / "current").resolve()
    sys.stdout.write(f"published {current.name}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:3]))
