"""Filters the Dagster CLI's event log down to what a person running the refresh needs:
step starts and ends, our own INFO lines, warnings and errors. The full log stays in the
Dagster UI (run history in DAGSTER_HOME)."""

from __future__ import annotations

import re
import sys

_KEEP = re.compile(
    r" - (INFO|WARNING|ERROR|CRITICAL) - | STEP_(SUCCESS|FAILURE) | RUN_(SUCCESS|FAILURE) |Error|Traceback"
)
_PREFIX = re.compile(r"^\S+ \S+ \S+ - dagster - (\w+) - \S+ - [0-9a-f-]{36} - (?:\d+ - )?")


def main() -> int:
    try:
        return _filter()
    except KeyboardInterrupt:  # the refresh script reports the interruption itself
        return 130


def _filter() -> int:
    for line in sys.stdin:
        if _KEEP.search(line) or not line.startswith("20"):
            sys.stdout.write("  " + _PREFIX.sub(r"\1 ", line))
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
