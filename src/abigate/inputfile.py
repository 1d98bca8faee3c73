"""Reading the files a user names as inputs (profiles, configurations, rootfs text files) under budgets.

A gate reads what it is pointed at, and what it is pointed at may be hostile or simply wrong: ``-p
/dev/zero`` would read until memory runs out, a FIFO would block forever on ``open``, a 5,000-deep TOML
array would overflow Python's recursion limit and a 5,000-digit integer exceeds the interpreter's integer
conversion limit. Each of those is bad *input* (exit 2, one line naming the file), never a hang, never an
internal error. So every such file goes through here:

* :func:`special_file_reason` says why a path is not a regular file (a FIFO, a device, a socket, a file of
  the kernel's ``/proc`` or ``/sys``), so a command refuses it before opening it;
* :func:`read_regular` opens without blocking, checks again on the open descriptor, and reads at most a
  stated number of bytes;
* :func:`parse_toml` decodes TOML text and refuses nesting deeper than :data:`MAX_TOML_DEPTH` and integers
  outside TOML's 64-bit range (the TOML 1.0 specification: "Arbitrary 64-bit signed integers … should be
  accepted and handled losslessly. If an integer cannot be represented losslessly, an error must be thrown").

The budgets themselves are stated in :mod:`abigate.limits` (its "Input budgets" section), with the reasons
for their values.
"""

from __future__ import annotations

import os
import stat
import sys
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from abigate.limits import (
    MAX_CONFIG_BYTES,
    MAX_EXTENDS_DEPTH,
    MAX_EXTENDS_FILES,
    MAX_LISTED_PROBLEMS,
    MAX_PROFILE_BYTES,
    MAX_ROOTFS_TEXT_BYTES,
    MAX_TOML_DEPTH,
    MAX_WAIVERS,
)

__all__ = [
    "MAX_CONFIG_BYTES", "MAX_EXTENDS_DEPTH", "MAX_EXTENDS_FILES", "MAX_LISTED_PROBLEMS", "MAX_PROFILE_BYTES",
    "MAX_ROOTFS_TEXT_BYTES", "MAX_TOML_DEPTH", "MAX_WAIVERS", "InputRefused", "bounded_lines", "decode_utf8",
    "load_toml_file", "parse_toml", "read_regular", "special_file_reason",
]

#: TOML integers are 64-bit signed (TOML 1.0, "Integer").
_INT64 = (-(1 << 63), (1 << 63) - 1)


class InputRefused(Exception):
    """An input file that is not read: not a regular file, too large, not UTF-8, or not valid TOML.

    ``message`` is one line that names the file; callers raise it again as their own error class
    (:class:`abigate.errors.ProfileError`, :class:`abigate.errors.ConfigError`…), all exit 2.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _kind_of(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


def _kernel_file(path: str) -> bool:
    """Whether *path* lives in ``/proc`` or ``/sys``: "regular" files whose size says nothing of their length
    (``/proc/kcore`` claims 128 TiB, ``/proc/self/environ`` 0 bytes)."""
    real = os.path.realpath(path)
    return real.startswith(("/proc/", "/sys/")) or real in ("/proc", "/sys")


def special_file_reason(path: str, st: os.stat_result | None = None) -> str | None:
    """Why *path* is not read as an input file (``"a FIFO"``, ``"a character device"``…), ``None`` if it is a
    regular file. A missing or unreadable path is ``None`` too: the caller's own open reports it."""
    if st is None:
        try:
            st = os.stat(path)
        except OSError:
            return None
    if not stat.S_ISREG(st.st_mode):
        return _kind_of(st.st_mode)
    if _kernel_file(path):
        return "a file of the kernel's /proc or /sys file system"
    return None


def read_regular(path: str, *, cap: int, what: str) -> bytes:
    """The bytes of the regular file *path*, at most *cap* of them, for an input described as *what*
    (``"profile"``, ``"configuration"``).

    :raises InputRefused: *path* is a FIFO, device, socket, directory or ``/proc`` file, or larger than *cap*.
    :raises OSError: it cannot be opened or read (missing, permission denied): callers word that themselves.
    """
    reason = special_file_reason(path)
    if reason is not None:
        raise InputRefused(f"{path}: {reason}, not a regular file: a {what} is read only from a regular file")
    # O_NONBLOCK: should the path be swapped for a FIFO after the check above, open() still returns at once.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise InputRefused(f"{path}: {_kind_of(st.st_mode)}, not a regular file: a {what} is read only "
                               "from a regular file")
        if st.st_size > cap:
            raise InputRefused(f"{path}: {st.st_size} bytes, more than the {cap} a {what} may hold")
        chunks: list[bytes] = []
        total = 0
        while total <= cap:
            chunk = os.read(fd, min(1 << 20, cap + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > cap:  # grew while being read
            raise InputRefused(f"{path}: more than the {cap} bytes a {what} may hold")
        return b"".join(chunks)
    finally:
        os.close(fd)


def decode_utf8(data: bytes, origin: str, what: str) -> str:
    """*data* as UTF-8 text (TOML is UTF-8), or :class:`InputRefused` naming the first bad byte's offset."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputRefused(f"{origin}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}): "
                           f"a {what} is a UTF-8 TOML file") from None


def parse_toml(text: str, origin: str) -> dict[str, Any]:
    """Decode TOML *text* within the budgets, or raise :class:`InputRefused` with one line naming *origin*."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputRefused(f"{origin}: invalid TOML: {exc}") from None
    except RecursionError:
        raise InputRefused(f"{origin}: invalid TOML: arrays or tables nested more than {MAX_TOML_DEPTH} "
                           "deep") from None
    except ValueError as exc:  # int(): an integer of more digits than Python converts (4300 by default)
        if "digits" in str(exc):
            raise InputRefused(f"{origin}: invalid TOML: an integer outside the 64-bit range TOML allows") from None
        raise InputRefused(f"{origin}: invalid TOML: {exc}") from None
    _check_shape(data, origin)
    return data


def _check_shape(data: dict[str, Any], origin: str) -> None:
    """Refuse nesting beyond :data:`MAX_TOML_DEPTH` (dotted keys nest without recursing in the parser) and
    integers outside 64 bits. Iterative: the document itself may be what would exhaust the stack."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_TOML_DEPTH:
            raise InputRefused(f"{origin}: invalid TOML: arrays or tables nested more than {MAX_TOML_DEPTH} "
                               "deep")
        if isinstance(node, dict):
            stack.extend((value, depth + 1) for value in node.values())
        elif isinstance(node, list):
            stack.extend((value, depth + 1) for value in node)
        elif isinstance(node, int) and not isinstance(node, bool) and not _INT64[0] <= node <= _INT64[1]:
            raise InputRefused(f"{origin}: invalid TOML: an integer outside the 64-bit range TOML allows")


def load_toml_file(path: str, *, cap: int, what: str) -> dict[str, Any]:
    """:func:`read_regular`, :func:`decode_utf8` and :func:`parse_toml` in one step."""
    return parse_toml(decode_utf8(read_regular(path, cap=cap, what=what), path, what), path)


def bounded_lines(lines: list[str] | tuple[str, ...], limit: int = MAX_LISTED_PROBLEMS) -> tuple[str, ...]:
    """The first *limit* of *lines*, then one line counting the rest: a message stays readable (and its
    length bounded) when a file holds 30,000 mistakes."""
    if len(lines) <= limit:
        return tuple(lines)
    return (*lines[:limit], f"… and {len(lines) - limit} more")
