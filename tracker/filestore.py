"""Writing files at the edge: atomic replacement, and --out paths checked before any work.

Every file the project writes (track files, reports, the spine calibration) goes through
`atomic_write`: the bytes go to a temporary file in the same folder, are flushed to disk, and
only then renamed over the target. A crash, a kill, Ctrl-C or a full disk mid-write leaves the
old file as it was (and no half file). `check_out` refuses an output that would destroy an
input, or that cannot be written, before anything slow runs. Imports only the standard library.
"""
from __future__ import annotations

import atexit
import contextlib
import errno
import logging
import os
import re
import shutil
import stat
import tempfile
import threading
from pathlib import Path
from typing import IO

LOG = logging.getLogger("massage_coach.files")

# Temporary files of an atomic write: hidden, named after the target, removed on failure.
TMP_PREFIX = "."
TMP_SUFFIX = ".part"


class OutputError(ValueError):
    """An output path that must not or cannot be written; the message is one line."""


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def check_out(out: str | Path, inputs: tuple[str | Path, ...] = ()) -> Path:
    """The output path, if it can be written and is none of `inputs`; else OutputError.

    Called before reading the input, so a bad --out costs nothing and an existing file is
    never opened for writing by a run that then fails."""
    out = Path(out)
    for src in inputs:
        if _same_file(out, Path(src)):
            raise OutputError(f"--out {out} is the input file; refusing to overwrite it (choose another name)")
    try:
        st = os.stat(out)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise OutputError(f"--out {out}: {e.strerror}") from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise OutputError(f"--out {out} is a folder; give a file name")
        if not stat.S_ISREG(st.st_mode):
            raise OutputError(f"--out {out} is not a regular file (a device or a pipe); give a file name")
    if out.name in ("", ".", ".."):
        raise OutputError(f"--out {out}: not a file name")
    folder = out.resolve().parent
    if not folder.is_dir():
        raise OutputError(f"--out {out}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"--out {out}: the folder {folder} is not writable")
    return out


class AtomicFile:
    """A temporary file next to `path`, open for writing; `commit()` syncs it and renames it
    over `path`; `abort()` (or any error in a `with`) deletes it and leaves `path` untouched.

    A symlink is followed (the file it points to is replaced, the link stays). A target that
    exists and is not a regular file (a folder, /dev/full) is refused: renaming over it
    would replace the device or fail late."""

    def __init__(self, path: str | Path, binary: bool = False, encoding: str = "utf-8") -> None:
        self.path = Path(path)
        self._target = Path(os.path.realpath(path))
        try:
            st = os.stat(self._target)
        except FileNotFoundError:
            st = None
        if st is not None and not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EISDIR if stat.S_ISDIR(st.st_mode) else errno.EINVAL,
                          "not a regular file", str(path))
        fd, self._tmp = tempfile.mkstemp(prefix=f"{TMP_PREFIX}{self._target.name}.", suffix=TMP_SUFFIX,
                                         dir=self._target.parent)
        try:
            # mkstemp makes the file 0600; keep the old file's mode, or the usual one for a new file.
            os.fchmod(fd, stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~_umask())
            kw = {} if binary else {"encoding": encoding, "newline": "\n"}
            self.file: IO = os.fdopen(fd, "wb" if binary else "w", **kw)
        except BaseException:
            os.close(fd)
            os.unlink(self._tmp)
            raise
        self.done = False

    def commit(self) -> None:
        if self.done:
            return
        try:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            os.replace(self._tmp, self._target)
        except BaseException:
            self.abort()
            raise
        self.done = True
        _sync_folder(self._target.parent)

    def abort(self) -> None:
        if self.done:
            return
        self.done = True
        with contextlib.suppress(OSError):
            self.file.close()
        with contextlib.suppress(OSError):
            os.unlink(self._tmp)

    def __enter__(self) -> IO:
        return self.file

    def __exit__(self, exc_type, *exc: object) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()


def atomic_write(path: str | Path, binary: bool = False, encoding: str = "utf-8") -> AtomicFile:
    """`with atomic_write(p) as f: f.write(...)`: all of it lands in `p`, or nothing does."""
    return AtomicFile(path, binary, encoding)


def write_bytes(path: str | Path, data: bytes) -> None:
    with atomic_write(path, binary=True) as f:
        f.write(data)


def write_text(path: str | Path, text: str) -> None:
    with atomic_write(path) as f:
        f.write(text)


def _umask() -> int:
    # Read, not set-and-restore: os.umask(0) would briefly change it for every thread.
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def _sync_folder(folder: Path) -> None:
    """Makes the rename itself durable (best effort: some file systems refuse)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# -- private temporary folders (recordings, uploads), never left behind ----------------------------

# Named massage-coach-<pid>-<kind>-<random>: the owner's PID lets a later start remove what a
# killed process (SIGKILL, power cut) left, and only that.
SCRATCH_PREFIX = "massage-coach-"
_SCRATCH_NAME = re.compile(r"^massage-coach-(\d+)-[a-z]+-[A-Za-z0-9_]+$")
_scratch: set[str] = set()
_scratch_lock = threading.Lock()


def private_folder(kind: str) -> Path:
    """A new folder only this user can read (0700) in the system temp folder, removed by
    `remove_folder`, or at the latest when the process exits (atexit), or by the start-up
    sweep of a later process if this one is killed."""
    if not kind.isalpha() or not kind.islower():
        raise ValueError(f"kind must be lower-case letters, got {kind!r}")
    path = tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-{kind}-")  # mkdtemp makes it 0700
    with _scratch_lock:
        _scratch.add(path)
    return Path(path)


def remove_folder(path: str | Path | None) -> None:
    """Removes a folder made by `private_folder`, with everything in it. Errors are logged."""
    if path is None:
        return
    path = str(path)
    shutil.rmtree(path, onerror=_log_rm_error)
    with _scratch_lock:
        _scratch.discard(path)


def remove_all_folders() -> int:
    """Removes every folder this process made and has not removed yet (at exit). Returns how many."""
    with _scratch_lock:
        left = list(_scratch)
    for path in left:
        remove_folder(path)
    return len(left)


def sweep_stale_folders(root: str | Path | None = None) -> list[str]:
    """Removes the private folders whose owning process is dead (left by a kill). Returns them."""
    root = Path(root or tempfile.gettempdir())
    removed = []
    try:
        entries = list(os.scandir(root))
    except OSError as e:
        LOG.warning("cannot list %s for stale folders: %s", root, e)
        return removed
    for entry in entries:
        m = _SCRATCH_NAME.match(entry.name)
        if not m or not entry.is_dir(follow_symlinks=False):
            continue
        try:
            if entry.stat(follow_symlinks=False).st_uid != os.getuid():
                continue
        except OSError:
            continue
        pid = int(m.group(1))
        if pid == os.getpid() or _alive(pid):
            continue
        shutil.rmtree(entry.path, onerror=_log_rm_error)
        removed.append(entry.path)
    if removed:
        LOG.info("removed %d temporary folder(s) left by stopped processes", len(removed))
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _log_rm_error(func, path, exc_info) -> None:
    if not isinstance(exc_info[1], FileNotFoundError):
        LOG.error("could not remove %s: %s", path, exc_info[1])


atexit.register(remove_all_folders)


_swept = threading.Event()


def sweep_once() -> None:
    """`sweep_stale_folders`, once per process (the app calls it on every script run)."""
    if not _swept.is_set():
        _swept.set()
        sweep_stale_folders()
