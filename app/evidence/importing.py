"""Evidence in from a spreadsheet (CSV or Excel): all rows or none, every problem reported.

A review team often starts with a spreadsheet kept during earlier visits. This module reads
the file, maps its columns to our fields, turns each row into the same input the API takes,
and checks it with the evidence rules (`evidence.rules.check_evidence`): the rules live
there, in one place. What this module adds is only what a spreadsheet needs:
reading cells, splitting several values in one cell, dates written the British way, and
names where the API takes keys or ids (a category's name, an organisation's name).

A dry run reports every bad row and stores nothing. A real run checks every row first and
stores all of them or none: any problem is a 422 carrying the same report. A real import is
recorded as one change to the review (entity "evidence", action "import", the ids it stored).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import uuid
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.core.errors import DomainError, Invalid, InvalidMany
from app.core.textrules import text_problem
from app.core.zipsafe import ArchiveRefused, check_zip
from app.evidence import service as evidence_service
from app.evidence.attachments import IncomingFile, receive_upload
from app.evidence.exporting import HEADERS as EXPORT_HEADERS
from app.evidence.exporting import unguard_cell
from app.evidence.files_schemas import ImportProblem, ImportReport
from app.evidence.filetypes import FileType
from app.evidence.models import Evidence
from app.evidence.rules import EvidenceContent, EvidenceRules, check_evidence, evidence_problems
from app.evidence.schemas import EvidenceBase
from app.reviews import changes
from app.reviews.access import WriteContext
from app.reviews.changes import Write
from app.reviews.models import Review

MAX_ROWS = 5_000
ACCEPTED_EXTENSIONS = ("csv", "xlsx")
FILE_FIELD = "file"
MAPPING_FIELD = "mapping"

# Our fields, in the order a person thinks of them.
FIELDS: tuple[str, ...] = (
    "id",
    "title",
    "narrative",
    "lines",
    "category",
    "source_type",
    "polarity",
    "collected_on",
    "collected_by",
    "stages",
    "organisations",
    "quote",
    "tags",
)
FIELD_LABELS: dict[str, str] = {
    "id": "ID",
    "title": "Title",
    "narrative": "Narrative",
    "lines": "Lines of enquiry",
    "category": "Evidence category",
    "source_type": "Source type",
    "polarity": "Strength, concern or context",
    "collected_on": "Date collected",
    "collected_by": "Collected by",
    "stages": "Pathway stages",
    "organisations": "Organisations",
    "quote": "Quote",
    "tags": "Tags",
}
# Column headers recognised without a mapping (compared after `_header_key`): the field's
# name, the export's header, and the words people commonly use.
_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("uuid", "evidence id"),
    "narrative": ("notes", "description", "details"),
    "lines": ("line of enquiry", "lines of enquiry", "kloe", "kloes", "ref", "refs"),
    "category": ("evidence category",),
    "source_type": ("source",),
    "collected_on": ("date", "date collected"),
    "collected_by": ("collector",),
    "stages": ("stage", "pathway stage", "pathway stages"),
    "organisations": ("organisation", "organizations", "organization", "partners"),
    "tags": ("tag",),
}
# The id of a row without one is derived from the review and the row's content, so
# importing the same file twice stores each item once. Fixed for ever: changing it would
# make a re-import duplicate everything imported before.
_ROW_NAMESPACE = uuid.UUID("5b0f6f55-3f0e-4d52-9a63-2f6a1f1d8c41")


def _header_key(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


def recognised_headers(field_name: str) -> list[str]:
    """Header texts matched to a field when no mapping names a column for it."""
    names = [
        field_name.replace("_", " "),
        EXPORT_HEADERS.get(field_name, ""),
        FIELD_LABELS.get(field_name, ""),  # as the form labels it
        *_ALIASES.get(field_name, ()),
    ]
    return [n for n in dict.fromkeys(_header_key(n) for n in names) if n]


# Reading the file ------------------------------------------------------------------------------


@dataclass
class Table:
    """A sheet of cells: the header row and the data rows, each with its row number."""

    headers: list[str]
    rows: list[tuple[int, list[Any]]]


def read_table(path: Path, file_type: FileType) -> Table:
    """Read a CSV or XLSX file already checked by content. The first non-blank row is the
    header; blank rows are skipped but counted, so row numbers match the spreadsheet."""
    records = _xlsx_records(path) if file_type.extension == "xlsx" else _csv_records(path)
    headers: list[str] | None = None
    rows: list[tuple[int, list[Any]]] = []
    for number, cells in records:
        if all(_cell_text(c) == "" for c in cells):
            continue
        _check_text(number, cells)
        if headers is None:
            headers = [_cell_text(c).strip() for c in cells]
            continue
        if len(rows) >= MAX_ROWS:
            raise Invalid(
                f"the file has more than {MAX_ROWS:,} rows of evidence: split it into smaller files",
                field=FILE_FIELD,
            )
        rows.append((number, list(cells)))
    if headers is None:
        raise Invalid("the file is empty: the first row should hold the column names", field=FILE_FIELD)
    return Table(headers, rows)


def _check_text(number: int, cells: list[Any]) -> None:
    # A file is an edge too: the same text rule as forms and the API (a NUL cannot be stored).
    for column, cell in enumerate(cells, start=1):
        problem = text_problem(cell) if isinstance(cell, str) else None
        if problem:
            raise Invalid(f"row {number}, column {column} {problem}", field=FILE_FIELD)


def _csv_records(path: Path) -> Iterable[tuple[int, list[Any]]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid(
            "the file is not UTF-8 text: in Excel, save it as 'CSV UTF-8 (comma delimited)'", field=FILE_FIELD
        ) from None
    first_line = text.split("\n", 1)[0]
    # Excel set to some European locales writes ';' between cells; tab-separated files exist too.
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        # A record is one spreadsheet row even when a quoted cell spans several lines.
        return [(number, record) for number, record in enumerate(reader, start=1)]
    except csv.Error as exc:
        raise Invalid(f"row {reader.line_num} cannot be read as CSV: {exc}", field=FILE_FIELD) from None


def _xlsx_records(path: Path) -> Iterable[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    # A file object, not the path: openpyxl judges a path by its extension, and the temporary
    # copy has none (its content was checked already).
    with path.open("rb") as handle:
        _check_unpacked_size(handle)
        try:
            workbook = load_workbook(handle, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
            raise Invalid(
                f"the workbook cannot be read ({type(exc).__name__}): open it in Excel and save it again",
                field=FILE_FIELD,
            ) from None
        try:
            if not workbook.worksheets:
                raise Invalid("the workbook has no sheets", field=FILE_FIELD)
            records = []
            # iter_rows starts at row 1, column A, so positions are the sheet's own row numbers.
            # Blank rows are dropped here (a sheet formatted down to row 1,048,576 yields them all).
            for number, values in enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1):
                if any(v not in (None, "") for v in values):
                    records.append((number, list(values)))
                    if len(records) > MAX_ROWS + 1:
                        break  # over the limit with the header: read_table says so; stop reading
            return records
        finally:
            workbook.close()


def _check_unpacked_size(handle: BinaryIO) -> None:
    # Checked here as well as when the upload arrived: a staged file is read again later, and
    # this is the one place a workbook is parsed.
    try:
        with zipfile.ZipFile(handle) as archive:
            check_zip(archive)
    except ArchiveRefused as exc:
        raise Invalid(f"the workbook is refused unread: {exc}", field=FILE_FIELD) from None
    except (zipfile.BadZipFile, OSError, ValueError):
        pass  # a damaged workbook: openpyxl says so in its own words below
    handle.seek(0)


def _cell_text(value: Any) -> str:
    """A cell as text: Excel numbers without a needless '.0', dates as YYYY-MM-DD, and the
    export's formula guard removed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return unguard_cell(str(value))


# Mapping columns to fields ----------------------------------------------------------------------


def parse_mapping(text: str | None) -> dict[str, str]:
    """The `mapping` form field: a JSON object of our field name -> the file's column header.
    An empty header means "do not import this field"."""
    if not text or not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Invalid(f"is not valid JSON ({exc.msg})", field=MAPPING_FIELD) from None
    if not isinstance(value, dict) or not all(isinstance(v, str | None) for v in value.values()):
        raise Invalid(
            'must be a JSON object such as {"title": "Title", "lines": "KLOE"}', field=MAPPING_FIELD
        )
    return {str(k): (v or "") for k, v in value.items()}


def _headers_by_key(headers: list[str]) -> dict[str, list[int]]:
    by_key: dict[str, list[int]] = {}
    for index, header in enumerate(headers):
        if header:
            by_key.setdefault(_header_key(header), []).append(index)
    return by_key


def _recognise(by_key: dict[str, list[int]], field_name: str, taken: Iterable[int]) -> int | None:
    """The one column whose header names the field, if there is exactly one and it is free."""
    for key in recognised_headers(field_name):
        found = by_key.get(key, [])
        if len(found) == 1 and found[0] not in set(taken):
            return found[0]
    return None


def resolve_mapping(headers: list[str], mapping: Mapping[str, str]) -> dict[str, int]:
    """Our field -> column index. Named columns first, then headers recognised by name."""
    unknown = sorted(set(mapping) - set(FIELDS))
    if unknown:
        raise Invalid(
            f"{', '.join(unknown)} {'is not a field' if len(unknown) == 1 else 'are not fields'} "
            f"that can be imported; use: {', '.join(FIELDS)}",
            field=MAPPING_FIELD,
        )
    by_key = _headers_by_key(headers)

    def column(header: str, for_field: str) -> int:
        exact = [i for i, h in enumerate(headers) if h == header]
        found = exact or by_key.get(_header_key(header), [])
        if not found:
            raise Invalid(
                f"there is no column '{header}' (for {FIELD_LABELS[for_field].lower()}) in the file; "
                f"its columns are: {', '.join(h for h in headers if h)}",
                field=MAPPING_FIELD,
            )
        if len(found) > 1:
            raise Invalid(
                f"the file has {len(found)} columns called '{header}': rename all but one",
                field=MAPPING_FIELD,
            )
        return found[0]

    columns: dict[str, int] = {}
    for name in FIELDS:
        if name in mapping:
            if mapping[name]:
                columns[name] = column(mapping[name], name)
        elif (index := _recognise(by_key, name, columns.values())) is not None:
            columns[name] = index
    taken: dict[int, str] = {}
    for name, index in columns.items():
        if index in taken:
            raise Invalid(
                f"column '{headers[index]}' is mapped to both {taken[index]} and {name}", field=MAPPING_FIELD
            )
        taken[index] = name
    return columns


def suggest_mapping(headers: list[str], mapping: Mapping[str, str]) -> dict[str, str]:
    """Field -> header to offer in a form (never raises): the column named for a field when the
    file has it, else the one recognised by name; fields with neither are left out."""
    by_key = _headers_by_key(headers)
    suggested: dict[str, str] = {}
    for name in FIELDS:
        wanted = mapping.get(name)
        if wanted is not None:
            found = by_key.get(_header_key(wanted), []) if wanted else []
            if len(found) == 1:
                suggested[name] = headers[found[0]]
            continue
        taken = [headers.index(h) for h in suggested.values()]
        if (index := _recognise(by_key, name, taken)) is not None:
            suggested[name] = headers[index]
    return suggested


# Turning cells into evidence ----------------------------------------------------------------------


def split_values(cell: str, *, whole: Iterable[str] = ()) -> list[str]:
    """Several values in one cell. A cell that is exactly one known name is never split (names
    such as 'Step-down, discharge and recovery' hold commas); otherwise split on ';' when there
    is one, else on ','."""
    text = cell.strip()
    if not text:
        return []
    if text.lower() in {w.lower() for w in whole}:
        return [text]
    separator = ";" if ";" in text else ","
    return [part.strip() for part in text.split(separator) if part.strip()]


_DAY_FIRST = ("%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y", "%d %B %Y", "%d %b %Y", "%d %B %y", "%d %b %y")


def parse_date(value: Any) -> dt.date:
    """A date from a cell: an Excel date, YYYY-MM-DD, or day first (DD/MM/YYYY, 1 May 2024)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 <= value < 2_958_466:
        from openpyxl.utils.datetime import from_excel

        return from_excel(value).date()  # a date cell Excel kept as its serial number
    text = " ".join(str(value).split())
    try:
        return dt.date.fromisoformat(text[:10]) if re.match(r"^\d{4}-\d{2}-\d{2}", text) else _day_first(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a date: write it as YYYY-MM-DD or DD/MM/YYYY") from None


def _day_first(text: str) -> dt.date:
    for pattern in _DAY_FIRST:
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


@dataclass
class _Names:
    """Names people write in a spreadsheet, mapped to the keys and ids the service takes."""

    categories: dict[str, str]
    sources: dict[str, str]
    stages: dict[str, str]
    stage_names: list[str]
    organisations: dict[str, list[int]]
    organisation_names: list[str]
    people: dict[str, list[int]]  # lower-case name or email -> user ids
    person_names: dict[int, str]

    @classmethod
    def load(cls, session: Session, rules: EvidenceRules) -> _Names:
        fw = rules.framework

        def keyed(items: Iterable[Any]) -> dict[str, str]:
            out: dict[str, str] = {}
            for item in items:
                out[item.key.lower()] = item.key
                out.setdefault(item.name.lower(), item.key)
            return out

        organisations: dict[str, list[int]] = {}
        for org_id, org in rules.partners.items():
            organisations.setdefault(" ".join(org.name.lower().split()), []).append(org_id)
        people: dict[str, list[int]] = {}
        for user_id, name in rules.team.items():
            people.setdefault(" ".join(name.lower().split()), []).append(user_id)
        if rules.team:
            for member_id, email in session.exec(
                select(User.id, User.email).where(col(User.id).in_(rules.team))
            ):
                if member_id is not None:
                    people.setdefault(email.lower(), []).append(member_id)
        return cls(
            categories=keyed(fw.evidence_categories),
            sources=keyed(fw.source_types),
            stages=keyed(fw.pathway_stages),
            stage_names=[s.name for s in fw.pathway_stages],
            organisations=organisations,
            organisation_names=[o.name for o in rules.partners.values()],
            people=people,
            person_names=dict(rules.team),
        )


@dataclass
class _Row:
    number: int
    raw: dict[str, str]  # field -> cell text, for the fields the file has
    cells: dict[str, Any]  # field -> the cell as read (dates stay dates)
    evidence_id: str = ""
    problems: list[tuple[str, str]] = field(default_factory=list)  # (field, message)
    data: EvidenceBase | None = None
    content: EvidenceContent | None = None
    outcome: str = ""  # created | updated | unchanged | duplicate


def _derived_id(review: Review, row: _Row) -> str:
    canonical = json.dumps(row.raw, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return str(uuid.uuid5(_ROW_NAMESPACE, f"{review.id}\n{canonical}"))


def _choose_id(review: Review, row: _Row) -> None:
    given = row.raw.get("id", "").strip()
    if not given:
        row.evidence_id = _derived_id(review, row)
        return
    try:
        row.evidence_id = evidence_service.canonical_id(given, field="id")
    except Invalid as exc:
        row.problems.append(("id", exc.message))


def _to_input(row: _Row, names: _Names, existing: Evidence | None) -> EvidenceBase:
    """The row as the API's input, with names turned into keys and ids. Values that match no
    name pass through unchanged, so the service's own message reports them; cells that cannot
    be read at all (a date that is not one, an unknown partner) are noted on the row and left
    out, so the service still checks the rest of it."""
    raw = row.raw

    def one(field_name: str, lookup: dict[str, str]) -> str:
        value = raw.get(field_name, "").strip()
        return lookup.get(value.lower(), value)

    stages = [
        names.stages.get(v.lower(), v) for v in split_values(raw.get("stages", ""), whole=names.stage_names)
    ]
    organisations: list[int] = []
    for name in split_values(raw.get("organisations", ""), whole=names.organisation_names):
        ids = names.organisations.get(" ".join(name.lower().split()), [])
        if len(ids) == 1:
            organisations.append(ids[0])
        elif ids:
            row.problems.append(
                (
                    "organisations",
                    f"{len(ids)} partners are called '{name}': rename one on the "
                    "review's team and partners page",
                )
            )
        else:
            known = ", ".join(sorted(names.organisation_names)) or "none yet"
            row.problems.append(
                (
                    "organisations",
                    f"'{name}' is not a partner organisation in this review (partners: {known})",
                )
            )

    collected_on: dt.date | None = None
    if raw.get("collected_on", "").strip():
        try:
            collected_on = parse_date(row.cells["collected_on"])
        except ValueError as exc:
            row.problems.append(("collected_on", str(exc)))

    collected_by = _collector(row, names, existing)
    return EvidenceBase(
        title=raw.get("title", ""),
        narrative=raw.get("narrative", ""),
        source_type=one("source_type", names.sources),
        category=one("category", names.categories),
        lines=[v for v in re.split(r"[;,\s]+", raw.get("lines", "")) if v],
        stages=stages,
        organisations=organisations,
        polarity=raw.get("polarity", "").strip(),
        collected_on=collected_on,
        collected_by=collected_by,
        quote=raw.get("quote", ""),
        tags=split_values(raw.get("tags", "")),
    )


def _collector(row: _Row, names: _Names, existing: Evidence | None) -> int | None:
    """The team member named in the row (by name or email); None leaves the service's default."""
    value = " ".join(row.raw.get("collected_by", "").split())
    if not value:
        return None
    ids = names.people.get(value.lower(), [])
    if len(ids) == 1:
        return ids[0]
    if len(ids) > 1:
        row.problems.append(
            ("collected_by", f"{len(ids)} team members are called '{value}': use their email address")
        )
        return None
    if existing is not None and existing.collected_by_id not in names.person_names:
        # The stored collector has since left the team: naming them again is not a change.
        return existing.collected_by_id
    row.problems.append(("collected_by", f"'{value}' is not a member of this review's team"))
    return None


def _existing(session: Session, ids: list[str]) -> dict[str, Evidence]:
    found: dict[str, Evidence] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for row in session.exec(select(Evidence).where(col(Evidence.id).in_(chunk))):
            found[row.id] = row
    return found


def _check(row: _Row, review: Review, rules: EvidenceRules, actor_id: int, existing: Evidence | None) -> None:
    """Run the service's rules on the row and decide what storing it would do."""
    if existing is not None and existing.review_id != review.id:
        # As the API: never say where the id is used.
        row.problems.append(
            ("id", "this id is already used by other evidence: clear the cell to import it as new")
        )
        return
    if existing is not None and existing.deleted_at is not None:
        row.problems.append(("id", "this evidence has been deleted; the review lead can restore it first"))
        return
    assert row.data is not None
    found: list[tuple[str, str]] = []
    try:
        row.content = check_evidence(rules, row.data, actor_id=actor_id, existing=existing)
    except InvalidMany as exc:
        found = [(str(e.get("field", "")), str(e.get("message", ""))) for e in exc.errors]
    except Invalid as exc:
        found = [(exc.field or "", exc.message)]
    # A cell that could not be read is already reported; the service saw it as empty.
    already = {name for name, _ in row.problems}
    row.problems.extend(problem for problem in found if problem[0] not in already)
    if row.problems:
        return
    assert row.content is not None
    if existing is None:
        row.outcome = "created"
    elif row.content.digest() == existing.content_hash:
        row.outcome = "unchanged"
    else:
        row.outcome = "updated"


class ImportRejected(InvalidMany):
    """A real import with problems: nothing stored; the body carries the whole report."""

    def __init__(self, report: ImportReport):
        bad_rows = len({p.row for p in report.problems})
        super().__init__(
            f"nothing was imported: {bad_rows} {'row has' if bad_rows == 1 else 'rows have'} problems",
            errors=[p.model_dump() for p in report.problems],
        )
        self.report = report

    def to_dict(self) -> dict[str, object]:
        return {**super().to_dict(), "report": self.report.model_dump(mode="json")}


def import_evidence(
    session: Session,
    *,
    ctx: WriteContext,
    filename: str,
    source: BinaryIO,
    mapping: Mapping[str, str] | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Import evidence rows from a CSV or XLSX upload, or (dry run) report what would happen.

    Every row is checked before anything is stored. A dry run returns the report with every
    problem; a real run with any problem raises ImportRejected (422, nothing stored),
    otherwise stores every new or changed row through `put_evidence` and records the import as
    one change to the review.
    """
    incoming, file_type = receive_upload(filename, source, accept=ACCEPTED_EXTENSIONS, field=FILE_FIELD)
    try:
        return import_file(
            session,
            ctx=ctx,
            filename=filename,
            incoming=incoming,
            file_type=file_type,
            mapping=mapping,
            dry_run=dry_run,
        )
    finally:
        incoming.discard()


def import_file(
    session: Session,
    *,
    ctx: WriteContext,
    filename: str,
    incoming: IncomingFile,
    file_type: FileType,
    mapping: Mapping[str, str] | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """`import_evidence` for a file already received and checked (the web page keeps a checked
    file so the import needs no second upload)."""
    review, actor_id = ctx.review, evidence_service.writer_id(ctx)
    table = read_table(incoming.path, file_type)
    columns = resolve_mapping(table.headers, mapping or {})
    rules = evidence_service.evidence_rules(session, review)
    _require_columns(rules, columns, table.headers, actor_id)
    names = _Names.load(session, rules)

    rows: list[_Row] = []
    for number, cells in table.rows:
        picked = {name: (cells[index] if index < len(cells) else None) for name, index in columns.items()}
        row = _Row(number, {name: _cell_text(value) for name, value in picked.items()}, picked)
        _choose_id(review, row)
        rows.append(row)

    existing = _existing(session, sorted({r.evidence_id for r in rows if r.evidence_id}))
    first_with_id: dict[str, _Row] = {}
    for row in rows:
        if row.problems:
            continue
        stored = existing.get(row.evidence_id)
        row.data = _to_input(row, names, stored)
        earlier = first_with_id.get(row.evidence_id)
        if earlier is not None:
            if earlier.raw == row.raw:
                row.outcome = "duplicate"
            else:
                row.problems.append(("id", f"row {earlier.number} has the same id with different content"))
            continue
        first_with_id[row.evidence_id] = row
        _check(row, review, rules, actor_id, stored)

    report = _report(filename, dry_run, table.headers, columns, rows)
    if dry_run:
        return report
    if report.problems:
        raise ImportRejected(report)
    reason = f"imported from {filename}"[:2000]
    with changes.batch(
        session,
        ctx,
        write=Write.evidence,
        entity="evidence",
        action="import",
        reason=reason,
        entity_id=incoming.sha256,
        record_unchanged=True,
    ) as into:
        into.details = {
            "file_name": filename,
            "sha256": incoming.sha256,
            "rows": report.rows,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "duplicates": report.duplicates,
        }
        for row in rows:
            if row.outcome not in ("created", "updated"):
                continue
            assert row.data is not None
            try:
                evidence_service.put_evidence(
                    session,
                    ctx=ctx,
                    evidence_id=row.evidence_id,
                    data=row.data,
                    reason=reason,
                    rules=rules,
                    into=into,
                )
            except DomainError as exc:
                # Something changed between the check and the write (another writer): report the
                # row; raising rolls back every row already written in this unit of work.
                row.problems.append((exc.field or "", exc.message))
                raise ImportRejected(_report(filename, dry_run, table.headers, columns, rows)) from exc
    report.imported = True
    return report


def required_fields(rules: EvidenceRules, *, actor_id: int) -> set[str]:
    """Fields every row must fill. Which those are is the service's rule: ask it about an empty item."""
    empty = EvidenceBase(title="", source_type="", category="", lines=[], polarity="")
    return {p["field"] for p in evidence_problems(rules, empty, actor_id=actor_id)}


def _require_columns(
    rules: EvidenceRules, columns: dict[str, int], headers: list[str], actor_id: int
) -> None:
    """Refuse a mapping that leaves out a field every row must have, once, rather than on every row."""
    required = required_fields(rules, actor_id=actor_id)
    missing = [name for name in FIELDS if name in required and name not in columns]
    if missing:
        listed = ", ".join(f"{FIELD_LABELS[m].lower()} ({m})" for m in missing)
        raise Invalid(
            f"the file has no column for {listed}: say which of its columns to use, or add the column "
            f"(its columns are: {', '.join(h for h in headers if h)})",
            field=MAPPING_FIELD,
        )


def _report(
    filename: str, dry_run: bool, headers: list[str], columns: dict[str, int], rows: list[_Row]
) -> ImportReport:
    problems = [
        ImportProblem(
            row=row.number,
            column=headers[columns[name]] if name in columns else "",
            field=name,
            message=message,
        )
        for row in rows
        # Left to right, as the person reads their spreadsheet; fields without a column last.
        for name, message in sorted(row.problems, key=lambda p: columns.get(p[0], len(headers)))
    ]
    counts = {
        outcome: sum(1 for r in rows if r.outcome == outcome and not r.problems)
        for outcome in ("created", "updated", "unchanged", "duplicate")
    }
    used = set(columns.values())
    return ImportReport(
        file_name=filename,
        dry_run=dry_run,
        rows=len(rows),
        valid_rows=sum(1 for r in rows if not r.problems),
        would_import=counts["created"] + counts["updated"],
        created=counts["created"],
        updated=counts["updated"],
        unchanged=counts["unchanged"],
        duplicates=counts["duplicate"],
        imported=False,
        problems=problems,
        mapping={name: headers[index] for name, index in sorted(columns.items(), key=lambda kv: kv[1])},
        ignored_columns=[h for i, h in enumerate(headers) if h and i not in used],
        columns=[h for h in headers if h],
    )


# Checked files kept for the import that follows --------------------------------------------------

# A file checked on the import page is kept so that "Import" needs no second upload over a
# slow connection. Kept per review, named by content, removed after the import or a day.
STAGED_FOR = dt.timedelta(days=1)
_TOKEN = re.compile(r"^[0-9a-f]{64}$")


def _staging_dir(review_id: int) -> Path:
    from app.core.config import get_settings

    return get_settings().data_dir / "imports" / str(review_id)


def stage_file(review_id: int, incoming: IncomingFile, file_type: FileType) -> str:
    """Keep a checked upload for this review; returns the token that finds it again."""
    folder = _staging_dir(review_id)
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = dt.datetime.now().timestamp() - STAGED_FOR.total_seconds()
    for old in folder.iterdir():
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    target = folder / f"{incoming.sha256}.{file_type.extension}"
    with incoming.open() as source, target.open("wb") as out:
        while chunk := source.read(1024 * 1024):
            out.write(chunk)
    return incoming.sha256


def staged_file(review_id: int, token: str) -> tuple[IncomingFile, FileType]:
    """A file kept by `stage_file`, or Invalid naming `file` when it is gone (or never was)."""
    from app.evidence.filetypes import ACCEPTED

    if _TOKEN.match(token or ""):
        for extension in ACCEPTED_EXTENSIONS:
            path = _staging_dir(review_id) / f"{token}.{extension}"
            if path.is_file():
                return IncomingFile(path, token, path.stat().st_size), ACCEPTED[extension]
    raise Invalid("the file you checked is no longer here: choose it again", field=FILE_FIELD)


def read_headers(incoming: IncomingFile, file_type: FileType) -> list[str]:
    """The column headers of a file (for offering them in a form)."""
    return [h for h in read_table(incoming.path, file_type).headers if h]
