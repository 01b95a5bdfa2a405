"""engine.files.write_atomically, the one atomic writer of nn and viz: old
or new contents, never a part; symlinks followed; devices never replaced;
temporary files of killed saves cleaned up by the next save."""

import fcntl
import os
import stat

import pytest

from engine.files import TEMPORARY_MARK, atomic_path, write_atomically


def test_writes_replace_contents_and_keep_permissions(tmp_path):
    path = tmp_path / "a.txt"
    assert write_atomically(path, "one") == path
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    path.chmod(0o640)
    write_atomically(path, b"two")
    assert path.read_bytes() == b"two" and path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "picture.png"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_path(path) as temporary:
        assert temporary.name.startswith(f".picture.png{TEMPORARY_MARK}")
        assert temporary.suffix == ".png"  # tools that pick a format by suffix
        temporary.write_bytes(b"half")
        raise RuntimeError("the drawing failed")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["picture.png"]


def test_a_symlink_is_followed_and_kept(tmp_path):
    target = tmp_path / "real.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    write_atomically(link, "new")
    assert link.is_symlink() and target.read_text() == "new"


def test_devices_fifos_and_folders_are_never_replaced(tmp_path):
    with pytest.raises(OSError, match=r"/dev/null.*not a regular file"):
        write_atomically("/dev/null", "x")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match=r"fifo.*not a regular file"):
        write_atomically(fifo, "x")
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    with pytest.raises(IsADirectoryError, match="folder"):
        write_atomically(tmp_path, "x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo"]


def test_leftovers_of_killed_saves_are_removed_but_live_ones_kept(tmp_path):
    path = tmp_path / "model.json"
    dead = tmp_path / f".model.json{TEMPORARY_MARK}dead1234.json"
    dead.write_text("half a model")
    live = tmp_path / f".model.json{TEMPORARY_MARK}live1234.json"
    live.write_text("being written")
    other = tmp_path / f".other.json{TEMPORARY_MARK}dead5678.json"
    other.write_text("another file's")
    with open(live) as holder:  # a save in progress holds this lock
        fcntl.flock(holder, fcntl.LOCK_EX)
        write_atomically(path, "{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["model.json", live.name, other.name])
