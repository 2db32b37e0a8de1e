"""One sweep at a time per directory: an OS lock on ``DIR/.drsim.lock``.

A sweep holds an exclusive :func:`fcntl.flock` on the lock file inside its
directory from before it reads ``sweep.yaml`` until it has written its tables.
A second sweep (or ``--resume``) on the same directory is refused with a
:class:`~drsim.experiment.errors.SweepError` that names the directory and the
holder (PID, host, start time), written into the file by the holder.

The operating system releases the lock when its process ends, however it
ends (SIGKILL included), so a lock can never outlive its holder on this host.
A lock file that still names a holder although nobody holds the lock was
left by a process that died: on the same host it is taken over, with a
warning. One left by a process of another host (a shared file system) is
refused instead: drsim cannot tell from here whether that process still runs,
and not every network file system shares ``flock`` between hosts.

The file is never deleted (deleting a lock file lets two processes each lock
a different file); a holder that finishes normally empties it.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from drsim.experiment.errors import SweepError

LOCK_FILE = ".drsim.lock"

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock, as before
    fcntl = None  # type: ignore[assignment]


@dataclass(frozen=True)
class LockHolder:
    """Who holds (or held) a sweep directory's lock."""

    pid: int
    host: str
    started: str

    def describe(self) -> str:
        """``PID 4242 on host ci-7, started 2026-12-03T12:00:00Z``."""
        return f"PID {self.pid} on host {self.host}, started {self.started}"

    @classmethod
    def me(cls) -> LockHolder:
        """This process, now."""
        return cls(os.getpid(), socket.gethostname(),
                   datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))

    @classmethod
    def parse(cls, text: str) -> LockHolder | None:
        """The holder written in a lock file; None when empty or unreadable."""
        try:
            data = json.loads(text)
            return cls(int(data["pid"]), str(data["host"]), str(data["started"]))
        except (ValueError, KeyError, TypeError):
            return None


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


class SweepLock:
    """The exclusive lock of one sweep directory (a context manager).

    Args:
        directory: The sweep directory; it must exist.
        warn: Called with a one-line message when a stale lock is taken over.
    """

    def __init__(self, directory: Path, warn: Callable[[str], None] | None = None) -> None:
        self.directory = Path(directory)
        self.path = self.directory / LOCK_FILE
        self.warn = warn
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise.

        Raises:
            SweepError: Another process holds it, or a process of another host
                left it and may still run.
        """
        if fcntl is None:  # pragma: no cover
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = LockHolder.parse(_read(fd))
            os.close(fd)
            who = holder.describe() if holder else "a process that has not written its name yet"
            raise SweepError(f"-o {self.directory}: another sweep is writing this directory "
                             f"({who}); wait for it to finish, or use another -o DIR") from None
        try:
            self._take_over(LockHolder.parse(_read(fd)))
            _write(fd, json.dumps(LockHolder.me().__dict__))
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def _take_over(self, previous: LockHolder | None) -> None:
        """Accept a lock file left by a dead holder (same host) or refuse (another host)."""
        if previous is None:
            return
        if previous.host != socket.gethostname():
            raise SweepError(
                f"-o {self.directory}: the lock file {LOCK_FILE} names {previous.describe()}, "
                "which this host cannot check; if that sweep no longer runs, delete "
                f"{self.path} and start again")
        state = "no longer runs" if not _process_exists(previous.pid) else "no longer holds it"
        if self.warn is not None:
            self.warn(f"-o {self.directory}: taking over a stale lock: {previous.describe()} "
                      f"{state} (it was killed or crashed; its finished runs are kept)")

    def release(self) -> None:
        """Empty the lock file and release the lock (idempotent)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
        finally:
            os.close(fd)  # closing the descriptor releases the flock

    def __enter__(self) -> SweepLock:
        self.acquire()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.release()


def _read(fd: int) -> str:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 4096):
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", errors="replace")


def _write(fd: int, text: str) -> None:
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, text.encode("utf-8"))
    os.fsync(fd)
