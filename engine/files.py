"""The one atomic file writer: readers see the old file or the new one, never a part.

A file is written to a temporary file in the same folder, named
``.NAME.glassgrad-tmp-XXXXXXXX`` (plus NAME's suffix) so a user recognises
it, flushed and fsynced, then renamed over the target with ``os.replace``, and
the folder is fsynced so the rename survives a power cut. While it is written
the temporary file holds an exclusive ``flock``: a later save finds the
temporary files of saves that were killed (no lock holder any more) and
removes them. A symlink is followed (its target is updated, the link stays); a
device node, FIFO or socket is never replaced.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock, so no cleanup of killed saves
    fcntl = None  # type: ignore[assignment]

__all__ = ["TEMPORARY_MARK", "atomic_path", "write_atomically"]

TEMPORARY_MARK = ".glassgrad-tmp-"
"""What every temporary file of an unfinished save has in its name."""


def _read_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_NEW_FILE_MODE = 0o666 & ~_read_umask()
"""What a plain ``open(path, 'w')`` would create (temporary files start at 0600)."""


def write_atomically(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Replace ``path``'s contents with ``data`` (str is written as UTF-8) in
    one step and return ``path`` as a ``Path``. Errors are ``OSError``s that
    name the path."""
    content = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    with atomic_path(path) as temporary:
        with open(temporary, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
    return Path(path)


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``path`` (same suffix, for tools that
    pick a format by it) to write to; on success it replaces ``path`` in one
    step, on failure it is removed and ``path`` is unchanged. Creates
    missing folders."""
    target = _destination(Path(path))
    _check_replaceable(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_killed_saves(target)
        handle, temporary = _locked_temporary(target)
    except OSError as error:
        raise _named(error, target) from None
    try:
        yield temporary
        os.chmod(temporary, _mode_for(target))
        os.replace(temporary, target)
        _sync_folder(target.parent)
    except OSError as error:
        raise _named(error, target) from None
    finally:
        temporary.unlink(missing_ok=True)
        os.close(handle)


def _destination(path: Path) -> Path:
    """The file a write to ``path`` should replace: a symlink's final target."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _check_replaceable(target: Path) -> None:
    try:
        mode = target.stat().st_mode
    except OSError:
        return  # nothing there yet (or unreadable: the write will say)
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(f"cannot write {str(target)!r}: it is a folder")
    if not stat.S_ISREG(mode):
        raise OSError(f"cannot write {str(target)!r}: it is not a regular file "
                      f"(a device, FIFO or socket), and glassgrad never replaces one")


def _locked_temporary(target: Path) -> tuple[int, Path]:
    """A new temporary file next to ``target``, open and locked by us."""
    while True:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}{TEMPORARY_MARK}",
                                        suffix=target.suffix, dir=target.parent)
        if fcntl is None:
            return handle, Path(name)
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            if os.stat(name).st_ino == os.fstat(handle).st_ino:
                return handle, Path(name)
        except FileNotFoundError:
            pass  # a cleaner took it for a killed save's before we locked it: try again
        os.close(handle)


def _remove_killed_saves(target: Path) -> None:
    """Delete temporary files of earlier saves to ``target`` whose process
    died: nobody holds their lock any more."""
    if fcntl is None:
        return
    for leftover in target.parent.glob(f".{_glob_escape(target.name)}{TEMPORARY_MARK}*"):
        try:
            handle = os.open(leftover, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            if stat.S_ISREG(os.fstat(handle).st_mode):
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                leftover.unlink(missing_ok=True)
        except OSError:
            pass  # locked: a save in progress
        finally:
            os.close(handle)


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def _mode_for(target: Path) -> int:
    """The permissions of the file being replaced, else a new file's."""
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        return _NEW_FILE_MODE


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (where the system allows it)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def _named(error: OSError, target: Path) -> OSError:
    """``error`` (same type) with a message that names ``target``."""
    if str(target) in str(error):
        return error
    return type(error)(f"cannot write {str(target)!r}: {error.strerror or error}")
