"""One writer per results folder.

A run holds an exclusive ``fcntl`` lock on ``<folder>/.writer.lock`` from before
it opens the folder (``--overwrite`` included) until it has written its last
byte; a second writer is refused at once, naming the holder's pid. The kernel
drops the lock when the holder exits, however it exits, so a killed run never
leaves the folder locked. Readers (``summary``, ``report``, ``verify``,
``load_results``) take no lock: every file a run writes lands by an atomic
rename, so they see the old bytes or the new ones, never half.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kernsim.errors import KernsimError

#: the lock file inside a results folder (not a result: verify and overwrite leave it)
LOCK_NAME = ".writer.lock"


def live_writer(folder: Path) -> int | None:
    """The pid of the run writing ``folder`` now, if any: the pid in its lock file, if that
    process is alive. A reader takes no lock to ask (it could refuse a starting writer)."""
    try:
        text = (Path(folder) / LOCK_NAME).read_text(encoding="utf-8", errors="replace").strip()
        pid = int(text)
    except (OSError, ValueError):
        return None
    if pid <= 0:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:  # alive, another user's
        return pid
    return pid


def shown_status(folder: Path, status: object) -> str:
    """A manifest's status as it is: a "running" that no live run holds was interrupted
    (killed, crashed, or the machine stopped) and a rerun resumes it."""
    if status == "running" and live_writer(folder) is None:
        return "interrupted"
    return str(status)


@contextmanager
def sole_writer(folder: Path) -> Iterator[None]:
    """Hold the folder's writer lock for the block; KernsimError if another run holds it."""
    if folder.exists() and not folder.is_dir():
        raise KernsimError(f"--out {folder}: exists and is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file on the way, no permission, a full disk
        raise KernsimError(f"--out {folder}: cannot create this folder "
                           f"({exc.strerror or type(exc).__name__})") from None
    fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise KernsimError(f"{folder}: another kernsim run (pid {holder}) is writing this "
                               "results folder; wait for it to end, or give --out another "
                               "folder") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)  # no pid: readers see no live writer (a kill leaves it)
    finally:
        os.close(fd)  # closing drops the lock
