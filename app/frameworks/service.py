"""The framework library: load files into the database, read them back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, col, select

from app.core import audit
from app.core.errors import Conflict, NotFound
from app.frameworks.loader import (
    FrameworkError,
    FrameworkInvalid,
    ParsedFramework,
    content_hash,
    framework_files,
    read_framework_file,
)
from app.frameworks.models import FrameworkVersion
from app.frameworks.schema import Framework


@dataclass
class LoadOutcome:
    file: str
    key: str
    version: str
    status: str  # loaded | unchanged


def store(
    session: Session, parsed: ParsedFramework, *, source_file: str = "", user_id: int | None = None
) -> LoadOutcome:
    """Store one framework version; the same content again is a no-op, different content under
    a stored (key, version) is refused: a framework in use is never edited in place."""
    fw = parsed.framework
    existing = session.exec(
        select(FrameworkVersion).where(FrameworkVersion.key == fw.key, FrameworkVersion.version == fw.version)
    ).first()
    if existing is not None:
        if existing.content_hash == parsed.content_hash:
            return LoadOutcome(source_file, fw.key, fw.version, "unchanged")
        if _same_content_in_a_newer_format(session, existing, parsed, user_id):
            return LoadOutcome(source_file, fw.key, fw.version, "unchanged")
        raise Conflict(
            f"{fw.key} version {fw.version} is already stored with different content; "
            "give the changed framework a new version number",
            field="version",
        )
    row = FrameworkVersion(
        key=fw.key,
        version=fw.version,
        title=fw.title,
        content=fw.model_dump(mode="json", by_alias=True),
        content_hash=parsed.content_hash,
        source_file=source_file,
    )
    audit.record_new(
        session,
        row,
        user_id=user_id,
        entity="framework_version",
        after={"key": fw.key, "version": fw.version, "content_hash": parsed.content_hash},
    )
    return LoadOutcome(source_file, fw.key, fw.version, "loaded")


def _same_content_in_a_newer_format(
    session: Session, existing: FrameworkVersion, parsed: ParsedFramework, user_id: int | None
) -> bool:
    """True when the stored content, read by today's format (which may add fields with defaults),
    is what the file says: the framework did not change, only the way its hash is taken. The
    stored hash is brought up to date so the next load matches at once."""
    try:
        stored = Framework.model_validate(existing.content)
    except ValueError:
        return False
    if content_hash(stored) != parsed.content_hash:
        return False
    before = {"content_hash": existing.content_hash}
    existing.content_hash = parsed.content_hash
    audit.record(
        session,
        user_id=user_id,
        entity="framework_version",
        entity_id=existing.id,
        action="rehash",
        before=before,
        after={"content_hash": parsed.content_hash},
    )
    return True


def load_files(session: Session, paths: list[Path], *, user_id: int | None = None) -> list[LoadOutcome]:
    """Validate every file first; store nothing unless all are valid."""
    files = framework_files(paths)
    parsed: list[tuple[Path, ParsedFramework]] = []
    errors: list[FrameworkError] = []
    for path in files:
        try:
            parsed.append((path, read_framework_file(path)))
        except FrameworkInvalid as exc:
            errors.extend(exc.errors)
    if errors:
        raise FrameworkInvalid(errors)
    return [store(session, p, source_file=path.name, user_id=user_id) for path, p in parsed]


def list_versions(session: Session) -> list[FrameworkVersion]:
    return list(
        session.exec(select(FrameworkVersion).order_by(col(FrameworkVersion.key), col(FrameworkVersion.id)))
    )


def get_version(session: Session, key: str, version: str | None = None) -> FrameworkVersion:
    """A stored version, or the newest stored version of the key when none is given."""
    query = select(FrameworkVersion).where(FrameworkVersion.key == key)
    if version is not None:
        query = query.where(FrameworkVersion.version == version)
    row = session.exec(query.order_by(col(FrameworkVersion.id).desc())).first()
    if row is None:
        if version is None:
            raise NotFound(f"no framework with key '{key}'")
        raise NotFound(f"framework '{key}' has no version '{version}'")
    return row


# Parsed frameworks by content hash: a stored version never changes, so neither does its parse.
_parsed: dict[str, Framework] = {}


def framework_of(row: FrameworkVersion) -> Framework:
    """The validated framework of a stored row (parsed once per content hash)."""
    framework = _parsed.get(row.content_hash)
    if framework is None:
        framework = _parsed[row.content_hash] = Framework.model_validate(row.content)
    return framework


def get_framework(session: Session, key: str, version: str) -> Framework:
    """The framework a review is pinned to; reads only the hash once it has been parsed."""
    content_hash = session.exec(
        select(FrameworkVersion.content_hash).where(
            FrameworkVersion.key == key, FrameworkVersion.version == version
        )
    ).first()
    if content_hash is None:
        raise NotFound(f"framework '{key}' has no version '{version}'")
    return _parsed.get(content_hash) or framework_of(get_version(session, key, version))


def summary(row: FrameworkVersion) -> dict[str, object]:
    fw = framework_of(row)
    return {
        "key": fw.key,
        "version": fw.version,
        "title": fw.title,
        "publisher": fw.publisher,
        "scale": {
            "mode": fw.scale.mode,
            "levels": [{"value": lv.value, "label": lv.label} for lv in fw.scale.levels],
        },
        "counts": {
            "domains": len(fw.domains),
            "lines": len(fw.refs()),
            "pathway_stages": len(fw.pathway_stages),
            "evidence_categories": len(fw.evidence_categories),
            "source_types": len(fw.source_types),
            "indicators": len(fw.indicators),
        },
        "content_hash": row.content_hash,
        "loaded_at": row.loaded_at,
    }
