"""Renderers of ``abigate check`` reports: ``check_text`` for people, ``check_json`` for tools. Pure: they return
strings; the command decides where they go."""

from __future__ import annotations

from collections.abc import Callable, Iterable

__all__ = ["write_lines"]

#: lines a text report hands its sink at once.
_LINES_PER_PIECE = 4096


def write_lines(lines: Iterable[str], sink: Callable[[str], object]) -> None:
    """``"\n".join(lines) + "\n"`` handed to *sink* a few thousand lines at a time: the text report of
    20,000 files (``-v``: some 90 MB) is never whole in memory. Nothing is written when there is no line."""
    chunk: list[str] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= _LINES_PER_PIECE:
            sink("\n".join(chunk) + "\n")
            chunk.clear()
    if chunk:
        sink("\n".join(chunk) + "\n")
