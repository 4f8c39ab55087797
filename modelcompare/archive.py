"""The raw response archive: the system of record, and the only thing the network touches.

Layout on disk (one folder, portable, append-only)::

    <root>/blobs/<sha256[:2]>/<sha256>.gz              body bytes, gzip, content-addressed
    <root>/fetches/<yyyy-mm-dd>/<source>/<id>.json     one response: url, status, headers, times

A fetch date is the UTC date of ``fetched_at``. Backfills re-parse the responses of a fetch date
with today's parsers, so nothing here is ever rewritten: a second identical body shares its blob,
and every write goes to a temporary file first and is renamed into place (a crash leaves no
half-written file behind).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import hashlib
import json
import os
import re
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

# Headers that can carry a secret are never archived. Compared lower-case.
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "x-goog-api-key",
        "x-amz-security-token",
    }
)

_SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")
_FETCH_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ArchiveError(RuntimeError):
    """The archive is missing something it should hold, or a blob does not match its hash."""


@dataclass(frozen=True, slots=True)
class ArchivedResponse:
    """One HTTP exchange as it happened. ``body`` is filled by ``Archive.load``."""

    response_id: str
    source: str
    url: str
    status: int
    fetched_at: dt.datetime  # UTC
    sha256: str
    size: int
    content_type: str | None = None
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    fetched_at_approximate: bool = False  # True where only the date of a copy is known
    note: str | None = None
    body: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def fetch_date(self) -> str:
        return self.fetched_at.astimezone(dt.UTC).date().isoformat()

    @classmethod
    def from_bytes(
        cls,
        source: str,
        url: str,
        body: bytes,
        fetched_at: dt.datetime | None = None,
        *,
        status: int = 200,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
        approximate: bool = False,
        note: str | None = None,
    ) -> ArchivedResponse:
        """A response that never went through an archive: for parser tests and record mode."""
        fetched_at = _utc(fetched_at or dt.datetime.now(dt.UTC))
        sha = hashlib.sha256(body).hexdigest()
        return cls(
            response_id=_response_id(source, url, fetched_at, sha),
            source=source,
            url=url,
            status=status,
            fetched_at=fetched_at,
            sha256=sha,
            size=len(body),
            content_type=content_type,
            headers=redact_headers(headers or {}),
            fetched_at_approximate=approximate,
            note=note,
            body=body,
        )

    def meta(self) -> dict:
        data = dataclasses.asdict(self)
        data.pop("body")
        data["fetched_at"] = self.fetched_at.isoformat()
        return data


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items() if k.lower() not in SECRET_HEADERS}


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("fetched_at must be timezone-aware")
    return value.astimezone(dt.UTC)


def _response_id(source: str, url: str, fetched_at: dt.datetime, sha: str) -> str:
    key = "\x1f".join([source, url, fetched_at.isoformat(), sha])
    return hashlib.sha256(key.encode()).hexdigest()[:20]


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all: temporary file, fsync, rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Archive:
    """Read and append raw responses under one root folder."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)

    # --- writing --------------------------------------------------------------------------
    def put(self, response: ArchivedResponse) -> ArchivedResponse:
        """Store a response built with ``ArchivedResponse.from_bytes``; returns it as stored."""
        if response.body is None:
            raise ValueError("put() needs a response with its body")
        if not _SOURCE_NAME.match(response.source):
            raise ValueError(f"not a valid source name: {response.source!r}")
        blob = self._blob_path(response.sha256)
        if not blob.exists():
            # mtime=0 keeps the gzip bytes a pure function of the body.
            atomic_write(blob, gzip.compress(response.body, compresslevel=9, mtime=0))
        meta_path = self._meta_path(response)
        if not meta_path.exists():
            payload = json.dumps(response.meta(), sort_keys=True, indent=1).encode()
            atomic_write(meta_path, payload)
        return response

    # --- reading --------------------------------------------------------------------------
    def fetch_dates(self, source: str | None = None) -> list[str]:
        """Fetch dates that hold at least one response (of ``source`` when given), sorted."""
        base = self.root / "fetches"
        if not base.is_dir():
            return []
        dates = []
        for day in sorted(p for p in base.iterdir() if p.is_dir() and _FETCH_DATE.match(p.name)):
            if source is None or any((day / source).glob("*.json")):
                dates.append(day.name)
        return dates

    def sources(self) -> list[str]:
        base = self.root / "fetches"
        if not base.is_dir():
            return []
        return sorted({p.name for p in base.glob("*/*") if p.is_dir()})

    def responses(self, source: str, fetch_date: str) -> list[ArchivedResponse]:
        """Responses of one source on one fetch date, oldest first, bodies not loaded."""
        if not _FETCH_DATE.match(fetch_date) or not _SOURCE_NAME.match(source):
            raise ValueError(f"bad archive key: {source!r} {fetch_date!r}")
        folder = self.root / "fetches" / fetch_date / source
        metas = [self._read_meta(p) for p in sorted(folder.glob("*.json"))]
        return sorted(metas, key=lambda r: (r.fetched_at, r.url))

    def iter_responses(self) -> Iterator[ArchivedResponse]:
        for path in sorted((self.root / "fetches").glob("*/*/*.json")):
            yield self._read_meta(path)

    def latest(self, source: str, url: str) -> ArchivedResponse | None:
        """The newest archived response for a URL: its ETag / Last-Modified make requests conditional."""
        for fetch_date in reversed(self.fetch_dates(source)):
            matches = [r for r in self.responses(source, fetch_date) if r.url == url]
            if matches:
                return matches[-1]
        return None

    def load(self, response: ArchivedResponse) -> ArchivedResponse:
        """The same response with its body, checked against its size and hash.

        The blob is unpacked only up to the size its record states, so a damaged or planted
        blob that unpacks to gigabytes is refused after ``size + 1`` bytes, not held in memory.
        """
        blob = self._blob_path(response.sha256)
        try:
            packed = blob.read_bytes()
        except FileNotFoundError as exc:
            raise ArchiveError(
                f"blob missing for {response.source} {response.url}: {blob}"
            ) from exc
        try:
            unpacker = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            body = unpacker.decompress(packed, response.size + 1)
        except zlib.error as exc:
            raise ArchiveError(f"blob is not gzip data: {blob} ({exc})") from exc
        if len(body) != response.size or not unpacker.eof:
            raise ArchiveError(
                f"blob does not unpack to the {response.size} bytes its record states: {blob}"
            )
        if hashlib.sha256(body).hexdigest() != response.sha256:
            raise ArchiveError(f"blob does not match its hash: {blob}")
        return dataclasses.replace(response, body=body)

    # --- paths ----------------------------------------------------------------------------
    def _blob_path(self, sha: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{64}", sha):
            raise ValueError(f"not a sha256: {sha!r}")
        return self.root / "blobs" / sha[:2] / f"{sha}.gz"

    def _meta_path(self, response: ArchivedResponse) -> Path:
        stamp = response.fetched_at.strftime("%H%M%S%f")
        name = f"{stamp}-{response.response_id}.json"
        return self.root / "fetches" / response.fetch_date / response.source / name

    @staticmethod
    def _read_meta(path: Path) -> ArchivedResponse:
        data = json.loads(path.read_text())
        data["fetched_at"] = dt.datetime.fromisoformat(data["fetched_at"])
        return ArchivedResponse(**data)
