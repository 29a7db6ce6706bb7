import hashlib
import os

import pytest

from wardgate.ai_inventory.scan.fileio import (
    LineIndex,
    NotRegularFileError,
    open_regular,
    read_prefix,
    sha256_file,
)


def test_line_index():
    text = "a\nbb\n\nccc"
    lines = LineIndex(text)
    assert [lines.line(i) for i in (0, 1, 2, 4, 5, 6, 8)] == [1, 1, 2, 2, 3, 4, 4]


def test_read_prefix_is_bounded(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"x" * 5000)
    data, size = read_prefix(path, 100)
    assert (len(data), size) == (100, 5000)


def test_sha256_streams(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(os.urandom(3 << 20))
    assert sha256_file(path) == (hashlib.sha256(path.read_bytes()).hexdigest(), 3 << 20)


def test_symlinks_and_fifos_are_refused(tmp_path):
    target = tmp_path / "t"
    target.write_text("x")
    link = tmp_path / "l"
    link.symlink_to(target)
    with pytest.raises(OSError, match="Too many levels of symbolic links"):
        open_regular(link)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(NotRegularFileError):
        open_regular(fifo)
    with pytest.raises(NotRegularFileError):
        open_regular(tmp_path)
