"""The attachment store and file-name handling, without the web."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from app.core.errors import TooLarge
from app.evidence.attachments import (
    BlobStore,
    ascii_filename,
    clean_filename,
    content_disposition,
    describe_size,
)


def test_receive_then_keep_names_the_file_by_its_digest(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "attachments")
    data = b"evidence bytes" * 1000
    incoming = store.receive(io.BytesIO(data), limit=len(data))
    digest = hashlib.sha256(data).hexdigest()
    assert (incoming.sha256, incoming.size) == (digest, len(data))
    assert incoming.path.parent == store.root, "the temporary copy sits beside the store for an atomic rename"
    kept = store.keep(incoming)
    assert kept == store.root / digest[:2] / digest[2:4] / digest
    assert kept.read_bytes() == data
    assert not incoming.path.exists()


def test_keeping_identical_content_again_leaves_one_copy(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    first = store.keep(store.receive(io.BytesIO(b"same"), limit=10))
    second_incoming = store.receive(io.BytesIO(b"same"), limit=10)
    assert store.keep(second_incoming) == first
    assert not second_incoming.path.exists()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [first]


def test_receive_stops_at_the_limit_and_leaves_nothing(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)

    class Endless(io.RawIOBase):
        """A source that never ends: the copy must stop at the limit, not read it all."""

        reads = 0

        def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def,override]
            Endless.reads += 1
            buffer[:] = b"\x00" * len(buffer)
            return len(buffer)

        def readable(self) -> bool:
            return True

    with pytest.raises(TooLarge) as caught:
        store.receive(io.BufferedReader(Endless()), limit=3 * 1024 * 1024)
    assert caught.value.field == "file"
    assert Endless.reads < 10
    assert list(tmp_path.iterdir()) == []


def test_path_for_refuses_anything_but_a_digest(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    for bad in ("../../etc/passwd", "ab" * 31 + "zz", ""):
        with pytest.raises(ValueError):
            store.path_for(bad)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("C:\\Users\\ann\\Desktop\\Visit notes.docx", "Visit notes.docx"),
        ("../../etc/passwd", "passwd"),
        ("evil\u202etxt.exe", "eviltxt.exe"),
        ("tab\tand\nnewline.txt", "tabandnewline.txt"),
        ('quote"s<and>pipes|.pdf', "quotesandpipes.pdf"),
        ("   ", "attachment.pdf"),
        ("...", "attachment.pdf"),
    ],
)
def test_clean_filename_keeps_only_a_safe_display_name(given: str, expected: str) -> None:
    assert clean_filename(given, fallback_extension="pdf") == expected


def test_clean_filename_shortens_long_names_keeping_the_extension() -> None:
    cleaned = clean_filename("a" * 400 + ".xlsx")
    assert len(cleaned) == 255
    assert cleaned.endswith(".xlsx")


def test_content_disposition_has_an_ascii_name_and_the_exact_name() -> None:
    header = content_disposition("Café notes – ward 7.txt")
    assert header == (
        'attachment; filename="Cafe notes - ward 7.txt"; '
        "filename*=UTF-8''Caf%C3%A9%20notes%20%E2%80%93%20ward%207.txt"
    )
    assert ascii_filename("日本.pdf") == "__.pdf"


def test_describe_size_in_words() -> None:
    assert describe_size(20 * 1024 * 1024) == "20 MB"
    assert describe_size(1536 * 1024) == "1.5 MB"
    assert describe_size(2048) == "2 KB"
    assert describe_size(900) == "900 bytes"
