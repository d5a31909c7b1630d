"""What a report export can ask for: format, PDF variant and template set."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

FORMATS = ("pdf", "html")
# PDF/UA-1 (tagged, for readers using assistive technology) is the default; PDF/A-3b is the
# archival copy, which also carries the machine-readable scores as an attachment.
VARIANTS = ("pdf/ua-1", "pdf/a-3b")
DEFAULT_VARIANT = "pdf/ua-1"
ARCHIVE_VARIANT = "pdf/a-3b"
DEFAULT_TEMPLATE_SET = "default"

FORMAT_LABELS = {"pdf": "PDF", "html": "Web page (HTML)"}
VARIANT_LABELS = {
    "pdf/ua-1": "Accessible PDF (PDF/UA-1)",
    "pdf/a-3b": "Archive PDF (PDF/A-3b)",
}


@dataclass(frozen=True)
class ReportOptions:
    fmt: str = "pdf"
    variant: str = DEFAULT_VARIANT
    template_set: str = DEFAULT_TEMPLATE_SET

    @property
    def archive(self) -> bool:
        return self.fmt == "pdf" and self.variant == ARCHIVE_VARIANT

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the job row and the cache key (an HTML export has no PDF variant)."""
        data = asdict(self)
        if self.fmt != "pdf":
            data["variant"] = ""
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReportOptions:
        return cls(
            fmt=str(data.get("fmt") or "pdf"),
            variant=str(data.get("variant") or DEFAULT_VARIANT),
            template_set=str(data.get("template_set") or DEFAULT_TEMPLATE_SET),
        )

    def describe(self) -> str:
        """Plain words for lists of renders."""
        if self.fmt == "pdf":
            return VARIANT_LABELS.get(self.variant, self.variant)
        return FORMAT_LABELS.get(self.fmt, self.fmt)
