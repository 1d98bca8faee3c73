"""A read-only view of a root filesystem: what :mod:`abigate.rootfs` needs, and nothing else.

``profile from-rootfs`` reads an unpacked folder; ``profile from-image`` and ``check --profile image`` read
the merged lower layers of a container image, which are never unpacked. Both go through this interface, so
one piece of code decides what a tree provides.

Paths are relative to the tree's root, ``/``-separated, without a leading slash (``""`` is the root).
Nothing here follows symlinks: :func:`abigate.rootfs.resolve_in_root` does that, inside the root.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import IO, Literal, Protocol

__all__ = ["FsView", "NodeKind", "RealFs"]

NodeKind = Literal["file", "dir", "link", "other"]


class FsView(Protocol):
    """A tree to read a runtime profile from."""

    #: how messages name the tree (a folder path, or ``app.tar (docker image …, layers 1-2)``).
    label: str

    def kind(self, path: str) -> str | None:
        """``file``, ``dir``, ``link`` or ``other`` for *path* (links not followed), ``None`` if absent."""
        ...

    def list_dir(self, path: str) -> list[str]:
        """The names in the folder *path*, sorted; ``OSError`` when it is not a readable folder."""
        ...

    def read_link(self, path: str) -> str:
        """The text of the symlink *path*; ``OSError`` when it is not one."""
        ...

    def open_file(self, path: str) -> tuple[IO[bytes], int]:
        """A seekable binary stream over the regular file *path*, and its size; else ``OSError``."""
        ...


class RealFs:
    """A folder on disk."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.label = root

    def _host(self, path: str) -> str:
        return os.path.join(self.root, *[p for p in path.split("/") if p])

    def kind(self, path: str) -> str | None:
        try:
            mode = os.lstat(self._host(path)).st_mode
        except OSError:
            return None
        if stat.S_ISLNK(mode):
            return "link"
        if stat.S_ISDIR(mode):
            return "dir"
        return "file" if stat.S_ISREG(mode) else "other"

    def list_dir(self, path: str) -> list[str]:
        return sorted(os.listdir(self._host(path)))

    def read_link(self, path: str) -> str:
        return os.readlink(self._host(path))

    def open_file(self, path: str) -> tuple[IO[bytes], int]:
        # Never blocks: a FIFO put in the tree's place of a file opens at once and is refused here.
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
        fd = os.open(self._host(path), flags)
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            raise OSError(errno.EINVAL, "not a regular file", path)
        return os.fdopen(fd, "rb"), st.st_size


def read_head(fs: FsView, path: str, cap: int) -> bytes:
    """The first *cap* bytes of the file *path* (all of it when smaller); ``OSError`` when unreadable."""
    fh, _ = fs.open_file(path)
    try:
        return fh.read(cap)
    finally:
        fh.close()
