"""The session's one real release, seen through what the export, release, page and narrative
tests need.

The build itself is the shared ``refreshed`` fixture of ``tests/conftest.py``: the README's
``scripts/refresh`` run once per session over the bundled replay archive into temporary
folders. ``Built`` wraps its paths; ``publish_again`` runs the release asset once more, in
process, on the same warehouse and export folder.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import dagster as dg

from assets import compare, ingest, normalize, publish
from modelcompare import export
from pipelines.resources import HttpResource, ReleaseResource, WarehouseResource

REPO = Path(__file__).resolve().parent.parent
PAIR = "llama-3.2-11b-vision-instruct--magistral-small-2509"
ALL_ASSETS = [
    ingest.archive_index,
    *ingest.source_assets,
    normalize.identity,
    normalize.facts,
    compare.pair_facts,
    publish.release,
]


@dataclasses.dataclass
class Built:
    warehouse: Path
    export_dir: Path
    stdout: str

    @classmethod
    def from_refresh(cls, refreshed: dict) -> Built:
        return cls(Path(refreshed["db"]), Path(refreshed["exports"]), refreshed["stdout"])

    @property
    def release_dir(self) -> Path:
        current = export.current_release(self.export_dir)
        assert current is not None, f"no release under {self.export_dir}"
        return current

    def published_counts(self) -> dict[str, int]:
        """What the refresh's release step logged: files written, linked and checked."""
        found = re.search(
            r"Published release (\w+): (\d+) files written, (\d+) unchanged files linked, "
            r"(\d+) checked",
            self.stdout,
        )
        assert found, self.stdout[-3000:]
        return {
            "written": int(found[2]),
            "linked": int(found[3]),
            "checked": int(found[4]),
        } | {"release_id": found[1]}

    def files(self) -> dict[str, bytes]:
        """Every file of the current release, by release-relative path."""
        root = self.release_dir
        return {
            str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
        }

    def doc(self, path: str) -> dict:
        return json.loads((self.release_dir / path).read_bytes())

    def pair(self, stem: str = PAIR) -> dict:
        return self.doc(f"v1/pairs/{stem}.json")

    def publish_again(self) -> dg.ExecuteInProcessResult:
        """Run only the release asset again, on the same warehouse and export folder."""
        return dg.materialize(
            ALL_ASSETS,
            selection=[publish.release.key],
            instance=dg.DagsterInstance.ephemeral(),
            resources={
                "http": HttpResource(mode="replay", replay_dir=str(REPO / "replay")),
                "warehouse": WarehouseResource(path=str(self.warehouse)),
                "release": ReleaseResource(export_dir=str(self.export_dir)),
            },
        )
