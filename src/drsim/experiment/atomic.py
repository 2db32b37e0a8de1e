"""Atomic file writes: a result file is either the old one or the complete new one.

A sweep killed with SIGKILL (or a machine losing power) must never leave a
half-written run record, summary or definition behind. Every file drsim's
experiments write goes to a temporary file in the same directory, is flushed
and fsynced, and then replaces the target with :func:`os.replace` (atomic on
POSIX and Windows). Readers therefore see whole files only; leftover
``*.tmp`` files from a killed writer are ignored and cleaned up.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

TMP_SUFFIX = ".tmp"


@contextlib.contextmanager
def _temporary_beside(target: Path) -> Iterator[Path]:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TMP_SUFFIX, dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_bytes(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically (temp file, fsync, rename)."""
    target = Path(target)
    with _temporary_beside(target) as tmp:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    _fsync_dir(target.parent)


def write_text(target: Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``target`` atomically."""
    write_bytes(target, text.encode("utf-8"))


def write_with(target: Path, writer: Callable[[Path], None]) -> None:
    """Atomically produce ``target`` with ``writer(tmp_path)`` (e.g. ``df.to_parquet``).

    Args:
        target: Final path.
        writer: Writes the complete file to the temporary path it is given.
    """
    target = Path(target)
    with _temporary_beside(target) as tmp:
        writer(tmp)
        _fsync_file(tmp)
        os.replace(tmp, target)
    _fsync_dir(target.parent)


def remove_leftovers(directory: Path) -> int:
    """Delete temporary files a killed writer left in ``directory``; returns how many."""
    removed = 0
    directory = Path(directory)
    if not directory.is_dir():
        return 0
    for path in directory.glob(f".*{TMP_SUFFIX}"):
        with contextlib.suppress(OSError):
            path.unlink()
            removed += 1
    return removed
