"""scan_file's one pass: the hash, and whether the bytes are valid UTF-8 wherever block boundaries fall
(it decodes only from the first block with a non-ASCII byte on)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from orchestration.ingest import files
from orchestration.ingest.files import scan_file

ACCENTED = "é".encode()  # two bytes: b"\xc3\xa9"


@pytest.mark.parametrize(
    ("content", "non_ascii", "valid_utf8"),
    [
        (b"id,name\n1,abc\n", False, True),
        (b"id,name\n1,Ren" + ACCENTED + b"\n", True, True),
        # ASCII blocks, then a character split between two blocks (block size 4: b"id,n" b"ame\xc3" b"\xa9\n")
        (b"id,name" + ACCENTED + b"\n", True, True),
        # ASCII blocks, then a byte that starts no UTF-8 character (latin-1's é)
        (b"id,name\n1,Ren\xe9\n", True, False),
        # a character cut short at the very end
        (b"id,name\n1,Ren\xc3", True, False),
    ],
)
def test_scan_tells_valid_utf8_across_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes, non_ascii: bool, valid_utf8: bool) -> None:
    monkeypatch.setattr(files, "BLOCK", 4)
    path = tmp_path / "export.csv"
    path.write_bytes(content)
    scan = scan_file(path)
    assert (scan.non_ascii, scan.valid_utf8) == (non_ascii, valid_utf8)
    assert scan.sha256 == hashlib.sha256(content).hexdigest()
    assert scan.size_bytes == len(content)
    assert scan.ends_with_newline == content.endswith(b"\n")
