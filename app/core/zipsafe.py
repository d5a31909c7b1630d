"""The one check every ZIP-based upload passes before anything inside it is read.

A ZIP says in its directory how large each part is when unpacked. A small upload can claim an
80 MB shared-strings part that a spreadsheet reader then spends minutes and hundreds of MB on.
Python's `zipfile` never unpacks more than a part's stated size (a part that lies fails its
checksum), so checking the stated sizes before parsing bounds the work.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass


class ArchiveRefused(ValueError):
    """An archive that would unpack to too much; the message says what, in plain words."""


@dataclass(frozen=True)
class ZipLimits:
    """How far an upload may unpack: in total, in parts, and relative to its packed size."""

    max_total_bytes: int
    max_members: int
    max_ratio: int
    # Below this much unpacked, the ratio is not judged: tiny repetitive XML packs very well.
    ratio_floor_bytes: int = 1024 * 1024

    @classmethod
    def from_settings(cls) -> ZipLimits:
        from app.core.config import get_settings

        settings = get_settings()
        return cls(settings.max_unzipped_bytes, settings.max_zip_members, settings.max_zip_ratio)


def check_zip(archive: zipfile.ZipFile, limits: ZipLimits | None = None) -> None:
    """Raise `ArchiveRefused` when the archive's parts, as its directory states them, are too
    many, unpack to more than the limit, or unpack far more than they pack (a "zip bomb")."""
    limits = limits or ZipLimits.from_settings()
    parts = archive.infolist()
    if len(parts) > limits.max_members:
        raise ArchiveRefused(f"it holds {len(parts):,} parts, more than the {limits.max_members:,} allowed")
    unpacked = sum(part.file_size for part in parts)
    packed = sum(part.compress_size for part in parts)
    if unpacked > limits.max_total_bytes:
        raise ArchiveRefused(
            f"it unpacks to {unpacked / 1048576:.0f} MB, more than the "
            f"{limits.max_total_bytes / 1048576:.0f} MB allowed"
        )
    if unpacked > limits.ratio_floor_bytes and unpacked > limits.max_ratio * max(packed, 1):
        raise ArchiveRefused(
            f"it unpacks to {unpacked // max(packed, 1):,} times its packed size, "
            f"more than the {limits.max_ratio} times allowed"
        )
