"""Filesystem primitives: directories and files created without following symlinks, atomic writes, flushes."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from .errors import UnsafePath

DIR_MODE = 0o755
FILE_MODE = 0o644

# Opening engine-managed paths never follows a symlink in their last component.
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_KIND_NAMES = {stat.S_IFDIR: "a directory", stat.S_IFREG: "a regular file", stat.S_IFLNK: "a symlink"}


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def sync_filesystem(path: Path) -> None:
    """Flush every file and directory of the filesystem holding ``path`` to disk.

    One ``syncfs(2)`` replaces an ``fsync`` per downloaded file and directory of a snapshot;
    ``os.sync()`` where the C library has no ``syncfs``."""
    syncfs = getattr(ctypes.CDLL(None, use_errno=True), "syncfs", None)
    if syncfs is None:
        os.sync()
        return
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        if syncfs(fd) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"syncfs({path}): {os.strerror(err)}")
    finally:
        os.close(fd)


def ensure_dir(path: Path) -> None:
    """Create ``path`` (and parents) with mode 0755; existing dirs keep their mode."""
    if path.is_dir():
        return
    ensure_dir(path.parent)
    try:
        path.mkdir()
    except FileExistsError:
        if not path.is_dir():
            raise
        return
    os.chmod(path, DIR_MODE)


@contextlib.contextmanager
def atomic_file(path: Path, do_fsync: bool, prefix: str, suffix: str) -> Iterator[BinaryIO]:
    """Yield a temp file beside ``path``; on success flush, fsync, chmod and rename it over
    ``path``, on any failure remove it (readers never see a partial file)."""
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            if do_fsync:
                os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_json(path: Path, data: Mapping[str, Any], do_fsync: bool = True) -> None:
    """Write JSON to ``path`` atomically (temp file in same dir + os.replace)."""
    with atomic_file(path, do_fsync, prefix=f".{path.name}.", suffix=".tmp") as fh:
        fh.write((json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8"))


def remove_path(path: Path) -> None:
    """Remove a file, symlink or directory tree; ignore if missing."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:
        pass


def unsafe_path(path: Path, mode: int, expected: int) -> UnsafePath:
    """The error for an engine-managed ``path`` found with ``mode`` where the engine keeps ``expected``."""
    found = _KIND_NAMES.get(stat.S_IFMT(mode), "a special file")
    return UnsafePath(
        f"{path} is {found}, not {_KIND_NAMES[expected]} as the engine creates it: refusing to use it "
        "(nothing is published for this tenant until it is removed)"
    )


def managed_exists(path: Path, expected: int) -> bool:
    """Whether the engine-managed ``path`` exists, without following a symlink.

    False when it is missing; UnsafePath when it exists as anything but ``expected``
    (``stat.S_IFDIR``, ``S_IFREG`` or ``S_IFLNK``), e.g. a symlink planted where the
    engine keeps a directory or a file."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return False
    if stat.S_IFMT(mode) != expected:
        raise unsafe_path(path, mode, expected)
    return True


def ensure_managed_dir(path: Path) -> None:
    """Create the engine-managed directory ``path`` (mode 0755) unless it exists as a real directory;
    refuse a symlink or anything else in its place."""
    if managed_exists(path, stat.S_IFDIR):
        return
    try:
        os.mkdir(path)
    except FileExistsError:
        managed_exists(path, stat.S_IFDIR)  # created meanwhile: fine if it is a directory
        return
    os.chmod(path, DIR_MODE)


def read_regular_file(path: Path) -> bytes:
    """The bytes of ``path``; OSError if it is a symlink or not a regular file."""
    fd = os.open(path, _READ_FLAGS)
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        return fh.read()
