"""Evidence out to a spreadsheet: CSV (streamed) and Excel, in words people can read.

Every item that is not deleted, one row each, with lines of enquiry as refs and the
framework's names for categories, source types, stages and domains. The headers are the
names the import recognises, so an exported file goes back in unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import tuple_
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.core.models_base import aware
from app.core.textrules import xml_safe
from app.evidence.models import Evidence, EvidenceLine, EvidenceOrganisation, EvidenceStage
from app.frameworks.schema import Framework
from app.reviews.changes import review_framework
from app.reviews.models import Organisation, Review

# (field, header, Excel column width). The field names are the import's field names.
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("id", "ID", 38),
    ("title", "Title", 40),
    ("narrative", "Narrative", 70),
    ("lines", "Lines of enquiry", 18),
    ("domains", "Domains", 30),
    ("category", "Category", 24),
    ("source_type", "Source type", 24),
    ("stages", "Pathway stages", 28),
    ("organisations", "Organisations", 30),
    ("polarity", "Polarity", 11),
    ("collected_on", "Collected on", 13),
    ("collected_by", "Collected by", 22),
    ("quote", "Quote", 50),
    ("tags", "Tags", 24),
    ("version", "Version", 9),
    ("updated_at", "Updated at", 26),
)
HEADERS: dict[str, str] = {field: header for field, header, _ in COLUMNS}
# Several values in one cell are joined with this; the import splits on it.
JOINER = "; "
# Rows fetched per query while streaming, so memory stays flat for a big review.
BATCH = 500

# A spreadsheet treats a cell starting with one of these as a formula (or, for tab and
# carriage return, may strip them and then do so): evidence text must never run.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _needs_guard(value: str) -> bool:
    # Text that already looks guarded is guarded again, so that unguarding is always exact.
    return value.startswith(FORMULA_TRIGGERS) or (value.startswith("'") and _needs_guard(value[1:]))


def guard_cell(value: str) -> str:
    """Make text safe to open in a spreadsheet: a leading formula character gets a `'` before it."""
    return "'" + value if _needs_guard(value) else value


def unguard_cell(value: str) -> str:
    """Undo `guard_cell`, so a guarded export imports back as the text that was exported."""
    return value[1:] if value.startswith("'") and _needs_guard(value[1:]) else value


@dataclass
class ExportRow:
    """One item of evidence, flattened to the export's columns (plain values, not yet guarded)."""

    values: dict[str, object]

    def cells(self) -> list[object]:
        return [self.values[field] for field, _, _ in COLUMNS]


class _Names:
    """The framework's and the review's names, looked up once per export."""

    def __init__(self, session: Session, review: Review, framework: Framework):
        self.framework = framework
        self.categories = {c.key: c.name for c in framework.evidence_categories}
        self.sources = {s.key: s.name for s in framework.source_types}
        self.stage_order = [s.key for s in framework.pathway_stages]
        self.stages = {s.key: s.name for s in framework.pathway_stages}
        self.ref_order = {ref: i for i, ref in enumerate(framework.refs())}
        self.organisations = {
            o.id: o.name
            for o in session.exec(select(Organisation).where(Organisation.review_id == review.id))
        }
        self.people: dict[int, str] = {}
        self.session = session

    def person(self, user_id: int) -> str:
        if user_id not in self.people:
            user = self.session.get(User, user_id)
            self.people[user_id] = user.display_name if user else f"User {user_id}"
        return self.people[user_id]

    def domains(self, refs: list[str]) -> list[str]:
        names: list[str] = []
        for ref in refs:
            domain = self.framework.domain_of(ref)
            if domain is not None and domain.name not in names:
                names.append(domain.name)
        return names


def _batches(session: Session, review: Review) -> Iterator[list[Evidence]]:
    """The review's live evidence, newest first (as the evidence list shows it), a batch at a
    time. Keyset paging keeps each batch one cheap query and never repeats or skips a row."""
    order = (col(Evidence.collected_on), col(Evidence.created_at), col(Evidence.id))
    after: tuple[object, ...] | None = None
    while True:
        query = select(Evidence).where(Evidence.review_id == review.id, col(Evidence.deleted_at).is_(None))
        if after is not None:
            query = query.where(tuple_(*order) < tuple_(*after))
        batch = list(session.exec(query.order_by(*(c.desc() for c in order)).limit(BATCH)))
        if not batch:
            return
        yield batch
        last = batch[-1]
        after = (last.collected_on, last.created_at, last.id)


def _links(
    session: Session, ids: list[str]
) -> tuple[dict[str, list[str]], dict[str, list[str]], dict[str, list[int]]]:
    """Lines, stages and organisations of a batch: one query each, whatever the batch size."""
    lines: dict[str, list[str]] = {i: [] for i in ids}
    stages: dict[str, list[str]] = {i: [] for i in ids}
    organisations: dict[str, list[int]] = {i: [] for i in ids}
    for line in session.exec(select(EvidenceLine).where(col(EvidenceLine.evidence_id).in_(ids))):
        lines[line.evidence_id].append(line.ref)
    for stage in session.exec(select(EvidenceStage).where(col(EvidenceStage.evidence_id).in_(ids))):
        stages[stage.evidence_id].append(stage.stage)
    for link in session.exec(
        select(EvidenceOrganisation).where(col(EvidenceOrganisation.evidence_id).in_(ids))
    ):
        organisations[link.evidence_id].append(link.organisation_id)
    return lines, stages, organisations


def export_rows(session: Session, *, review: Review) -> Iterator[ExportRow]:
    """Every live item of the review as an export row, fetched lazily in batches."""
    names = _Names(session, review, review_framework(session, review))
    for batch in _batches(session, review):
        lines, stages, organisations = _links(session, [e.id for e in batch])
        for evidence in batch:
            refs = sorted(lines[evidence.id], key=lambda r: names.ref_order.get(r, len(names.ref_order)))
            stage_keys = sorted(
                stages[evidence.id],
                key=lambda k: names.stage_order.index(k) if k in names.stage_order else 99,
            )
            org_names = sorted(names.organisations.get(o, str(o)) for o in organisations[evidence.id])
            updated = aware(evidence.updated_at)
            yield ExportRow(
                {
                    "id": evidence.id,
                    "title": evidence.title,
                    "narrative": evidence.narrative,
                    "lines": JOINER.join(refs),
                    "domains": JOINER.join(names.domains(refs)),
                    "category": names.categories.get(evidence.category, evidence.category),
                    "source_type": names.sources.get(evidence.source_type, evidence.source_type),
                    "stages": JOINER.join(names.stages.get(k, k) for k in stage_keys),
                    "organisations": JOINER.join(org_names),
                    "polarity": evidence.polarity,
                    "collected_on": evidence.collected_on,
                    "collected_by": names.person(evidence.collected_by_id),
                    "quote": evidence.quote,
                    "tags": JOINER.join(evidence.tags),
                    "version": evidence.version,
                    "updated_at": updated.isoformat(timespec="seconds") if updated else "",
                }
            )


def _text(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return guard_cell(str(value)) if isinstance(value, str) else str(value)


def csv_chunks(rows: Iterable[ExportRow]) -> Iterator[bytes]:
    """The export as UTF-8 CSV (with a byte-order mark, so Excel reads it as UTF-8), yielded
    in chunks as rows arrive rather than built whole in memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([header for _, header, _ in COLUMNS])
    for count, row in enumerate(rows, start=1):
        writer.writerow([_text(v) for v in row.cells()])
        if count % 200 == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_bytes(rows: Iterable[ExportRow], *, title: str) -> bytes:
    """The export as an Excel workbook: bold frozen header row, set column widths, real dates."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    # XML cannot hold some characters that older rows may contain: they are left out, or one
    # such character would fail the whole export.
    workbook.properties.title = xml_safe(title)[:255]
    sheet = workbook.create_sheet("Evidence")
    # Write-only sheets take layout before the first row.
    sheet.freeze_panes = "A2"
    for index, (_, _, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    header_cells = []
    for _, header, _ in COLUMNS:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        cell.alignment = Alignment(vertical="top")
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        cells: list[object] = []
        for value in row.cells():
            if isinstance(value, dt.date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "yyyy-mm-dd"
                cells.append(cell)
            elif isinstance(value, str):
                cells.append(guard_cell(xml_safe(value)))
            else:
                cells.append(value)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def export_filename(review: Review, extension: str, today: dt.date | None = None) -> str:
    """A download name such as `evidence-review-of-northshire-2024-05-01.csv`."""
    import re

    slug = re.sub(r"[^a-z0-9]+", "-", review.title.lower()).strip("-")[:60] or f"review-{review.id}"
    return f"evidence-{slug}-{(today or dt.date.today()).isoformat()}.{extension}"
