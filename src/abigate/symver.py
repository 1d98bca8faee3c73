"""Symbol-version node names (``GLIBC_2.17``, ``GLIBCXX_3.4.30``, ``CXXABI_1.3.13``, ``GCC_7.0.0``).

Pure functions, no I/O. Nodes are compared *numerically* within a prefix: ``GLIBC_2.4 < GLIBC_2.27``
(auditwheel sorted them as strings). Names that carry no number after the prefix (``GLIBC_PRIVATE``,
``GLIBC_ABI_DT_RELR``, ``CXXABI_TM_1``) are *markers*: they are not ordered against the numbered ones.

>>> parse_node("GLIBC_2.17")
VersionNode(prefix='GLIBC', numbers=(2, 17), name='GLIBC_2.17')
>>> parse_node("GLIBC_2.4") < parse_node("GLIBC_2.27")
True
>>> parse_node("GLIBC_PRIVATE").numbers
()
>>> max_node(["GLIBC_2.2.5", "GLIBC_2.33", "GLIBC_2.4"])
'GLIBC_2.33'
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from abigate._records import Record

__all__ = ["VersionNode", "format_version", "max_node", "node_key", "parse_node", "parse_version"]

# A node is PREFIX_N(.N)*; the prefix itself may contain underscores and digits (``_F2C_8``, ``OPENSSL_3.0.0``,
# ``Qt_5``, ``LIBUDEV_183``). The numeric tail is the last ``_`` followed only by dotted digits.
_NODE_RE = re.compile(r"^(?P<prefix>.*?)_(?P<numbers>\d+(?:\.\d+)*)$")


class VersionNode(Record, kw_only=False):
    """One parsed version node name."""

    #: text before the numeric tail, e.g. ``GLIBC``; the whole name for a marker node.
    prefix: str
    #: numeric tail, e.g. ``(2, 17)``; empty for a marker node.
    numbers: tuple[int, ...]
    #: the name as written.
    name: str

    @property
    def is_marker(self) -> bool:
        """True for nodes with no numeric tail (``GLIBC_PRIVATE``, ``GLIBC_ABI_DT_RELR``)."""
        return not self.numbers

    def __lt__(self, other: VersionNode) -> bool:
        return node_key(self.name) < node_key(other.name)

    def __le__(self, other: VersionNode) -> bool:
        return node_key(self.name) <= node_key(other.name)


@functools.lru_cache(maxsize=4096)
def parse_node(name: str) -> VersionNode:
    """Split a version node name into prefix and numbers.

    ``GLIBC_ABI_DT_RELR`` and ``GLIBC_PRIVATE`` are markers (no numbers). Prefixes keep their own
    digits: ``OPENSSL_3.0.0`` → (``OPENSSL``, (3, 0, 0)).

    Cached: a report asks for the same few dozen names tens of thousands of times (every ``max_glibc``,
    every sort by :func:`node_key`); the node is a frozen record, so sharing it changes nothing.
    """
    m = _NODE_RE.match(name)
    if m is None or not m.group("prefix"):
        return VersionNode(prefix=name, numbers=(), name=name)
    return VersionNode(
        prefix=m.group("prefix"), numbers=tuple(int(x) for x in m.group("numbers").split(".")), name=name
    )


def node_key(name: str) -> tuple[str, int, tuple[int, ...], str]:
    """A sort key: by prefix, numbered nodes before markers, numbers numerically, then the name."""
    node = parse_node(name)
    return (node.prefix, 1 if node.is_marker else 0, node.numbers, name)


def max_node(names: Iterable[str], prefix: str | None = None) -> str | None:
    """The numerically highest numbered node among *names* (optionally only those with *prefix*).

    Markers never count. Returns ``None`` when there is no numbered node.
    """
    best: VersionNode | None = None
    for name in names:
        node = parse_node(name)
        if node.is_marker or (prefix is not None and node.prefix != prefix):
            continue
        if best is None or node.numbers > best.numbers:
            best = node
    return None if best is None else best.name


def parse_version(text: str) -> tuple[int, ...]:
    """``"2.17"`` → ``(2, 17)``. Raises :class:`ValueError` on anything but dotted integers."""
    parts = text.strip().split(".")
    if not parts or not all(p.isdigit() for p in parts):
        raise ValueError(f"not a dotted version number: {text!r}")
    return tuple(int(p) for p in parts)


def format_version(numbers: tuple[int, ...]) -> str:
    """``(2, 17)`` → ``"2.17"``."""
    return ".".join(str(n) for n in numbers)
