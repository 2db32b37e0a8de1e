"""Atomic file writes: a result file is either the old one or the complete new one.

A run or a sweep killed with SIGKILL (or a machine losing power) must never
leave a half-written record table, summary or definition behind. Every file
drsim writes — run directories, sweep and comparison directories, reports —
goes to a temporary file in the same directory (same file system), is fsynced,
made readable (mode 0644), and then replaces the target with :func:`os.replace`
(atomic on POSIX and Windows); the directory is fsynced after the rename so the
new name survives a crash too. Readers therefore see whole files only;
leftover ``.*.tmp`` files from a killed writer are ignored and cleaned up.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

TMP_SUFFIX = ".tmp"
FILE_MODE = 0o644
"""Mode of every file written (a temporary file is created 0600)."""


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success move it over ``path``.

    Args:
        path: The final file name (its directory is created if needed).

    Yields:
        A temporary file path in the same directory. Write the whole file
        there; if the block raises, the temporary file is removed and
        ``path`` is left as it was.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TMP_SUFFIX, dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_bytes(target: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically; returns the path."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def write_text(target: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 ``text`` to ``target`` atomically (``\\n`` line ends); returns the path."""
    return write_bytes(target, text.encode("utf-8"))


def write_with(target: str | os.PathLike[str], writer: Callable[[Path], None]) -> Path:
    """Atomically produce ``target`` with ``writer(tmp_path)`` (e.g. ``df.to_parquet``).

    Args:
        target: Final path.
        writer: Writes the complete file to the temporary path it is given.

    Returns:
        The path.
    """
    with atomic_path(target) as tmp:
        writer(tmp)
    return Path(target)


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
