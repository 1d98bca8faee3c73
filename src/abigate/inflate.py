"""Raw-deflate inflation for zip members: ISA-L (the ``isal`` package) when it is installed, else zlib.

Inflating the members of a large wheel is most of what ``abigate scan`` costs; ISA-L's inflate is about
twice as fast as zlib's on the same bytes. Both produce the same output for a valid stream — deflate is
fully specified — so the choice changes speed, never facts. For an *invalid* stream the two libraries
stop at different points with different messages; so that a report never depends on which library the
machine has, an ISA-L error is not reported as such: the member is inflated again with zlib from its first
byte up to where ISA-L got, and zlib's own verdict (its error and message, or — should ISA-L ever reject
data zlib accepts — the data) is what the caller sees.

``ABIGATE_INFLATE=zlib`` forces zlib (benchmarks, or to rule ISA-L out); ``ABIGATE_INFLATE=isal`` fails
loudly when ISA-L is not importable rather than falling back. The backend is shown by ``abigate --version``.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable
from typing import Any, Protocol

from abigate.errors import UsageError

__all__ = ["ENV_VAR", "ERRORS", "RawInflater", "backend", "crc32", "describe"]

#: the environment variable that picks the backend: ``zlib``, ``isal``, or unset/``auto``.
ENV_VAR = "ABIGATE_INFLATE"
#: compressed bytes read at a time when an ISA-L error is replayed with zlib.
_REPLAY_CHUNK = 1 << 20

#: exceptions an inflater may raise on corrupt data (ISA-L errors never leave :class:`RawInflater`).
ERRORS: tuple[type[BaseException], ...] = (zlib.error,)


class _Decompress(Protocol):
    """What zlib's and ISA-L's ``decompressobj`` objects have in common and what is used of them."""

    @property
    def eof(self) -> bool: ...

    @property
    def unconsumed_tail(self) -> bytes: ...

    def decompress(self, data: bytes, max_length: int = ..., /) -> bytes: ...


_chosen: tuple[str, Any] | None = None


def _choose() -> tuple[str, Any]:
    """``(name, module)``: the first call decides, from :data:`ENV_VAR` and what is importable."""
    global _chosen
    if _chosen is None:
        wanted = os.environ.get(ENV_VAR, "auto").strip().lower() or "auto"
        if wanted not in ("auto", "isal", "zlib"):
            raise UsageError(f"{ENV_VAR}={wanted}: choose auto, isal or zlib")
        module: Any = None
        if wanted != "zlib":
            try:
                from isal import isal_zlib  # type: ignore[import-not-found,unused-ignore]

                module = isal_zlib
            except ImportError:
                if wanted == "isal":
                    raise UsageError(f"{ENV_VAR}=isal, but the isal package is not installed") from None
        _chosen = ("isal", module) if module is not None else ("zlib", zlib)
    return _chosen


def backend() -> str:
    """``"isal"`` or ``"zlib"``: the library that inflates zip members in this process."""
    return _choose()[0]


def describe() -> str:
    """The backend with its version, for ``--version`` and ``scan -v``: ``isal 1.9.1`` or ``zlib 1.3.1``."""
    name, _ = _choose()
    if name == "isal":
        import isal  # type: ignore[import-not-found,unused-ignore]

        return f"isal {getattr(isal, '__version__', '?')}"
    return f"zlib {zlib.ZLIB_RUNTIME_VERSION}"


def crc32(data: bytes, value: int = 0) -> int:
    """CRC-32 as :func:`zlib.crc32`, by the faster library when ISA-L is the backend."""
    return int(_choose()[1].crc32(data, value))


class RawInflater:
    """A zlib-compatible ``decompressobj(-15)`` (raw deflate, as in zip) over the chosen backend.

    Only what :class:`abigate.archive.InflateStream` uses: :attr:`eof`, :attr:`unconsumed_tail`, and
    ``decompress(data, max_length)``. *pread(offset, n)* reads the member's compressed bytes from their
    start, and *size* is the declared inflated size: they let a stream ISA-L rejects, or ends anywhere but
    at *size*, be replayed with zlib (see the module docstring). Without *pread* an ISA-L error is raised
    as :class:`zlib.error`.
    """

    __slots__ = ("_dec", "_fed", "_isal_error", "_pread", "_produced", "_size")

    def __init__(self, pread: Callable[[int, int], bytes] | None = None, size: int = -1) -> None:
        name, module = _choose()
        self._dec: _Decompress = module.decompressobj(-15)
        self._isal_error: type[BaseException] | None = module.error if name == "isal" else None
        self._pread = pread
        self._fed = 0  # compressed bytes given to decompress() as new input (tails not counted again)
        self._produced = 0  # bytes returned by decompress()
        self._size = size

    @property
    def eof(self) -> bool:
        return self._dec.eof

    @property
    def unconsumed_tail(self) -> bytes:
        return self._dec.unconsumed_tail

    def decompress(self, data: bytes, max_length: int = 0) -> bytes:
        """Inflate *data*, giving at most *max_length* bytes (0: no limit).

        As with zlib, *data* must be the :attr:`unconsumed_tail` while there is one, and new input (or
        ``b""`` to drain) only once the previous input was consumed.
        """
        if not self._dec.unconsumed_tail:
            self._fed += len(data)
        try:
            out = self._dec.decompress(data, max_length)
        except zlib.error:
            raise
        except Exception as exc:
            if self._isal_error is None or not isinstance(exc, self._isal_error):
                raise
            self._replay_with_zlib(exc)
            out = self._dec.decompress(self._dec.unconsumed_tail, max_length)
        else:
            if self._isal_error is not None and self._pread is not None and (
                    (self._dec.eof and self._size >= 0 and self._produced + len(out) != self._size)
                    or not (data or out or self._dec.eof)):
                # ISA-L ended the stream short of (or past) the declared size, or ran out of input before its
                # end: it accepts some invalid blocks that zlib rejects, and then simply stops. Let zlib
                # judge, so that the member's problem reads the same on every machine.
                self._replay_with_zlib(None)
                out = self._dec.decompress(self._dec.unconsumed_tail, max_length)
        self._produced += len(out)
        return out

    def _replay_with_zlib(self, exc: BaseException | None) -> None:
        """Switch to zlib in the state it would be in had it inflated everything so far.

        zlib is fed the same compressed bytes (up to what was given to ISA-L) and its output up to what
        ISA-L delivered is dropped; whatever zlib raises on the way is the member's error. *exc*: ISA-L's
        error, or ``None`` when ISA-L ended without one at a point where the stream is incomplete.
        """
        if self._pread is None:
            raise zlib.error(f"invalid deflate data ({exc})") from None
        z = zlib.decompressobj(-15)
        skip, pos, pending = self._produced, 0, b""
        while skip > 0 and not z.eof:
            if not pending:
                if pos >= self._fed:
                    break
                pending = self._pread(pos, min(_REPLAY_CHUNK, self._fed - pos))
                if not pending:
                    break
                pos += len(pending)
            skip -= len(z.decompress(pending, min(skip, _REPLAY_CHUNK)))
            pending = z.unconsumed_tail
        # What ISA-L was given but zlib has not consumed yet becomes zlib's tail, to inflate from here.
        rest = pending + (self._pread(pos, self._fed - pos) if pos < self._fed else b"")
        self._dec = _TailFirst(z, rest)
        self._isal_error = None


class _TailFirst:
    """zlib's decompressor with input it has not been given yet, presented as its ``unconsumed_tail``."""

    __slots__ = ("_held", "_z")

    def __init__(self, z: Any, held: bytes) -> None:
        self._z = z
        self._held = held

    @property
    def eof(self) -> bool:
        return bool(self._z.eof)

    @property
    def unconsumed_tail(self) -> bytes:
        return self._held if self._held else self._z.unconsumed_tail

    def decompress(self, data: bytes, max_length: int = 0, /) -> bytes:
        if self._held:
            if data is not self._held:
                data = self._held + data
            self._held = b""
        return self._z.decompress(data, max_length)  # type: ignore[no-any-return]
