"""Where export files land: a local folder (the default) or an S3 bucket, behind one small interface.

Both lay files out the same way, ``<root>/<source>/<object>/<YYYY-MM-DD>/<file>``. A local
landing is read in place; an S3 landing is listed with boto3 and each object is downloaded into
the load's temporary staging folder, so DuckDB always reads local files (its httpfs extension is
not needed). The S3 endpoint and credentials come from the usual AWS settings
(``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_REGION``...).
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from orchestration.ingest.specs import SourceSpec

# Names a file has while an export tool is still writing it; such files are left for a later run.
IN_PROGRESS_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".filepart", ".download", ".inprogress")
IN_PROGRESS_PREFIXES = ("~$", ".~lock.")  # office lock files: the workbook is open in an editor


@dataclass
class LandedFile:
    """One file found in the landing area for an export day."""

    export_date: date
    name: str
    location: str  # what lineage shows: a local path or s3://bucket/key
    size_bytes: int
    modified: float  # seconds since the epoch
    in_progress: str | None = None  # why the file is taken to be still being written
    refused: str | None = None  # why the file cannot be taken at all (e.g. an unsafe object key)
    key: str | None = None  # S3 object key


class Landing(Protocol):
    def discover(self, spec: SourceSpec, start: date, end: date) -> list[LandedFile]: ...

    def fetch(self, landed: LandedFile, target: Path) -> Path: ...

    def quarantine(self, landed: LandedFile, reason: str, quarantine: Path | str | None) -> None: ...


def open_landing(landing: Path | str) -> Landing:
    """A local folder for paths, an S3 landing for ``s3://bucket/prefix`` URLs."""
    text = str(landing)
    if text.startswith("s3://"):
        return S3Landing.from_url(text)
    return LocalLanding(Path(landing))


def folder_date(name: str) -> date | None:
    """The export day a folder name stands for (YYYY-MM-DD), else None."""
    try:
        return date.fromisoformat(name) if len(name) == 10 else None
    except ValueError:
        return None


def in_progress_reason(name: str, spec: SourceSpec, modified: float, now: float) -> str | None:
    """Why a file matching the spec's pattern (possibly with a temporary suffix) is still being written."""
    if name.startswith(IN_PROGRESS_PREFIXES):
        return "it is an editor's lock file: the export is open in an application"
    for suffix in IN_PROGRESS_SUFFIXES:
        if name.endswith(suffix):
            return f"its name ends in {suffix}: the export tool is still writing it"
    if spec.settle_seconds and now - modified < spec.settle_seconds:
        return f"it was modified {now - modified:.0f} s ago, less than settle_seconds ({spec.settle_seconds:g} s)"
    return None


def _matches(name: str, spec: SourceSpec) -> bool:
    """Whether a file name is an export of this spec, complete or still being written."""
    if fnmatch.fnmatchcase(name, spec.file_pattern):
        return not name.startswith(".") or name.startswith(IN_PROGRESS_PREFIXES)
    stripped = name
    for prefix in IN_PROGRESS_PREFIXES:
        if stripped.startswith(prefix):
            stripped = stripped[len(prefix):]
    for suffix in IN_PROGRESS_SUFFIXES:
        if stripped.endswith(suffix):
            stripped = stripped[: -len(suffix)]
    return stripped != name and fnmatch.fnmatchcase(stripped, spec.file_pattern)


class LocalLanding:
    """``<root>/<source>/<object>/<YYYY-MM-DD>/`` folders on a local or mounted file system."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def discover(self, spec: SourceSpec, start: date, end: date) -> list[LandedFile]:
        object_dir = self.root / spec.source / spec.object
        if not object_dir.is_dir():
            return []
        now = time.time()
        found = []
        for day_dir in sorted(object_dir.iterdir()):
            export_date = folder_date(day_dir.name)
            if export_date is None or not day_dir.is_dir() or not start <= export_date <= end:
                continue
            for path in sorted(day_dir.iterdir()):
                if not _matches(path.name, spec):
                    continue
                outside = self.outside_reason(path)
                if outside is not None:
                    stat = path.lstat()
                    found.append(LandedFile(export_date, path.name, str(path), stat.st_size, stat.st_mtime, refused=outside))
                    continue
                if not path.is_file():
                    continue
                stat = path.stat()
                found.append(
                    LandedFile(
                        export_date, path.name, str(path), stat.st_size, stat.st_mtime,
                        in_progress=in_progress_reason(path.name, spec, stat.st_mtime, now),
                    )
                )
        return found

    def outside_reason(self, path: Path) -> str | None:
        """Why ``path`` must not be read: a symbolic link (of the file or a folder above it) that leads
        outside the landing folder, or to nothing. None for a file that really lies inside it."""
        root = self.root.resolve()
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):  # a dangling link or a loop
            return f"{path} is a symbolic link that leads nowhere (dangling or a loop): refused"
        if not target.is_relative_to(root):
            return (
                f"{path} leads outside the landing folder {root} (to {target}) through a symbolic link: refused, "
                "as ingestion reads nothing outside the landing folder; copy the export into the landing folder instead"
            )
        return None

    def export_days(self, spec: SourceSpec) -> list[date]:
        object_dir = self.root / spec.source / spec.object
        if not object_dir.is_dir():
            return []
        return sorted(d for d in (folder_date(p.name) for p in object_dir.iterdir() if p.is_dir()) if d is not None)

    def fetch(self, landed: LandedFile, target: Path) -> Path:
        """The file itself (a local landing is read in place), checked again just before it is read."""
        path = Path(landed.location)
        outside = self.outside_reason(path)
        if outside is not None:
            raise PermissionError(outside)
        return path

    def quarantine(self, landed: LandedFile, reason: str, quarantine: Path | str | None) -> None:
        """Move the file below the quarantine folder, keeping its landing path, beside a reason file."""
        path = Path(landed.location)
        if quarantine is None or not (path.exists() or path.is_symlink()):
            return
        relative = path.relative_to(self.root) if path.is_relative_to(self.root) else Path(landed.export_date.isoformat()) / path.name
        target = Path(quarantine) / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(path), target)
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")


class S3Landing:
    """``s3://bucket/prefix/<source>/<object>/<YYYY-MM-DD>/`` objects, fetched into the local staging folder."""

    def __init__(self, bucket: str, prefix: str, client: Any | None = None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._client = client

    @classmethod
    def from_url(cls, url: str) -> S3Landing:
        bucket, _, prefix = url[len("s3://"):].partition("/")
        if not bucket:
            raise ValueError(f"{url}: an S3 landing needs a bucket, e.g. s3://exports/landing")
        return cls(bucket, prefix)

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3  # only S3 landings need it

            self._client = boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None)
        return self._client

    def _key(self, *parts: str) -> str:
        return "/".join(p for p in (self.prefix, *parts) if p)

    def url(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def discover(self, spec: SourceSpec, start: date, end: date) -> list[LandedFile]:
        object_prefix = self._key(spec.source, spec.object) + "/"
        now = time.time()
        found = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=object_prefix):
            for item in page.get("Contents", []):
                key = item["Key"]
                parts = key[len(object_prefix):].split("/")
                export_date = folder_date(parts[0]) if parts else None
                if export_date is None or not start <= export_date <= end or key.endswith("/"):
                    continue
                name = parts[-1]
                modified = item["LastModified"].timestamp()
                landed = LandedFile(export_date, name, self.url(key), int(item["Size"]), modified, key=key)
                if len(parts) != 2 or any(p in ("", ".", "..") for p in parts) or "\\" in key or "\x00" in key:
                    if not fnmatch.fnmatchcase(name, spec.file_pattern):
                        continue
                    landed.refused = (
                        f"object key {key!r} is not <day>/<file> below {object_prefix!r} (nested folders, '.' or '..' "
                        "segments or backslashes): refused, as it could name a place outside the landing area"
                    )
                elif not _matches(name, spec):
                    continue
                else:
                    landed.in_progress = in_progress_reason(name, spec, modified, now)
                found.append(landed)
        return sorted(found, key=lambda f: (f.export_date, f.name))

    def export_days(self, spec: SourceSpec) -> list[date]:
        object_prefix = self._key(spec.source, spec.object) + "/"
        days = set()
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=object_prefix, Delimiter="/"):
            for common in page.get("CommonPrefixes", []):
                day = folder_date(common["Prefix"][len(object_prefix):].rstrip("/"))
                if day is not None:
                    days.add(day)
        return sorted(days)

    def fetch(self, landed: LandedFile, target: Path) -> Path:
        """Download the object to ``target``, a staging path the loader names (nothing the object controls)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        self.client.download_file(self.bucket, landed.key, str(target))
        return target

    def quarantine(self, landed: LandedFile, reason: str, quarantine: Path | str | None) -> None:
        """Move the object below the quarantine location (an s3:// URL or a local folder) beside a reason file."""
        if quarantine is None or landed.key is None or landed.refused:
            return
        relative = landed.key[len(self.prefix) + 1:] if self.prefix else landed.key
        text = str(quarantine)
        if text.startswith("s3://"):
            bucket, _, prefix = text[len("s3://"):].partition("/")
            target_key = "/".join(p for p in (prefix.strip("/"), relative) if p)
            self.client.copy_object(Bucket=bucket, Key=target_key, CopySource={"Bucket": self.bucket, "Key": landed.key})
            self.client.put_object(Bucket=bucket, Key=target_key + ".reason.txt", Body=(reason + "\n").encode())
        else:
            target = Path(quarantine).joinpath(*PurePosixPath(relative).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            self.client.download_file(self.bucket, landed.key, str(target))
            target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
        self.client.delete_object(Bucket=self.bucket, Key=landed.key)
