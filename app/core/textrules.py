"""What text the service accepts, decided once.

Text is Unicode without NUL (PostgreSQL cannot store it), without the other C0 control
characters except tab, line feed and carriage return (they have no meaning in evidence, and XML,
so XLSX and DOCX, cannot hold them), and without lone surrogates (not encodable as UTF-8). The
edge refuses such text naming the field (`app.core.middleware.TextGuard`); exporters make what
may already be stored safe with `xml_safe`.
"""

from __future__ import annotations

import re

# C0 controls except tab (09), line feed (0A) and carriage return (0D); then lone surrogates.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# What XML 1.0 cannot hold at all: the controls above, surrogates, and U+FFFE and U+FFFF.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def text_problem(value: str) -> str | None:
    """Why `value` is not accepted as text (a phrase to follow the field's name), or None."""
    control = _CONTROL.search(value)
    if control:
        character = "NUL" if control.group() == "\x00" else "a control character"
        return f"contains {character} (U+{ord(control.group()):04X}), which is not accepted"
    if _SURROGATE.search(value):
        return "contains text that is not valid Unicode"
    return None


def xml_safe(value: str) -> str:
    """`value` without the characters XML cannot hold, for writing text already stored."""
    return _NOT_XML.sub("", value)
