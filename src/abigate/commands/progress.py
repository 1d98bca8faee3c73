"""The progress line ``scan`` and ``check`` show on standard error during a long read.

Shown only where a person watches: standard error is a terminal, ``CI`` is unset and ``TERM`` is not
``dumb`` — or when asked with ``--progress``; ``--no-progress`` turns it off everywhere. It appears only
once the scan has run for :data:`DELAY` seconds (a quick check prints nothing extra), is redrawn in place
at most ten times a second by a background thread (so it appears even while the reader waits on a slow
pipe), and is erased when the scan ends. Forced into a pipe or a log, it prints a plain line once a second
instead of redrawing. It never uses colour (``NO_COLOR`` is honoured by having none to turn off).

The scan forks worker processes while the drawing thread runs. A child forked while that thread held
standard error's lock would inherit the lock held, and hang the first time it wrote there; so the thread
writes only under :data:`_WRITE_LOCK`, which a fork waits for (``os.register_at_fork``).
"""

from __future__ import annotations

import os
import sys
import threading
from typing import TextIO

from abigate.scan import ScanProgress

__all__ = ["DELAY", "ProgressLine", "want_progress"]

#: held while the line is written, and taken around every fork (see the module docstring).
_WRITE_LOCK = threading.Lock()


def _reinit_after_fork() -> None:
    global _WRITE_LOCK
    _WRITE_LOCK = threading.Lock()  # the child's copy was taken by the fork; nothing in the child holds it


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=lambda: _WRITE_LOCK.acquire(), after_in_parent=lambda: _WRITE_LOCK.release(),
                        after_in_child=_reinit_after_fork)

#: seconds a scan runs before the line appears.
DELAY = 1.0
#: seconds between redraws on a terminal, and between lines when forced into a pipe.
_TTY_PERIOD = 0.1
_PIPE_PERIOD = 1.0


def want_progress(choice: bool | None, stream: TextIO | None = None) -> bool:
    """Whether to show progress: *choice* from ``--progress``/``--no-progress``, else only for a person at
    a terminal (not CI, not a dumb terminal)."""
    if choice is not None:
        return choice
    stream = sys.stderr if stream is None else stream
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        return False
    return tty and not os.environ.get("CI") and os.environ.get("TERM", "") != "dumb"


def _size(n: int) -> str:
    """``812 MB``, ``1.9 GB``: decimal units, as pip shows download sizes."""
    value = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit in ("B", "kB") or value >= 100 else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def describe(state: ScanProgress | None, first: str) -> str:
    """The text of the line for *state* (``None``: nothing reported yet; *first*: the first path given)."""
    if state is None:
        return f"reading {first}"
    if state.members_total == 0:  # several artifacts read in workers: only whole artifacts are counted
        text = f"{state.artifacts_done}/{state.artifacts_total} artifacts"
        if state.bytes_total:
            text += f", {_size(state.bytes_done)} of {_size(state.bytes_total)}"
        return text
    name = os.path.basename(state.artifact) or state.artifact  # the folders are in the first line's path
    name = name if len(name) <= 60 else "…" + name[-59:]
    text = f"{name}: {state.members_done}/{state.members_total} members"
    if state.bytes_total:
        text += f", {_size(state.bytes_done)} of {_size(state.bytes_total)}"
    if state.artifacts_total > 1:
        text = f"[{state.artifacts_done + 1}/{state.artifacts_total}] {text}"
    return text


class ProgressLine:
    """A progress callback for :func:`abigate.scan.scan_paths` that draws :func:`describe`'s line.

    Use as a context manager around the scan: the drawing thread starts on entry and the line is erased on
    exit (Ctrl-C and errors included), before anything else is printed.
    """

    def __init__(self, enabled: bool, first: str, stream: TextIO | None = None) -> None:
        self.enabled = enabled
        self._stream = sys.stderr if stream is None else stream
        self._first = first
        self._state: ScanProgress | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._drawn = False
        try:
            self._tty = self._stream.isatty()
        except (AttributeError, ValueError):
            self._tty = False

    def __call__(self, state: ScanProgress) -> None:
        self._state = state  # one reference swap: the drawing thread reads whichever is current

    def __enter__(self) -> ProgressLine:  # noqa: PYI034 - Self needs 3.11 or typing_extensions
        if self.enabled:
            self._thread = threading.Thread(target=self._run, name="abigate-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop drawing and erase the line."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        thread.join(1.0)
        if self._drawn and self._tty:
            self._write("\r\x1b[K")

    def _write(self, text: str) -> None:
        try:
            with _WRITE_LOCK:
                self._stream.write(text)
                self._stream.flush()
        except (OSError, ValueError):  # the terminal went away: stop drawing, never fail the scan
            self._stop.set()

    def _run(self) -> None:
        if self._stop.wait(DELAY):
            return
        import shutil  # only once the line is drawn

        period = _TTY_PERIOD if self._tty else _PIPE_PERIOD
        last = ""
        while not self._stop.is_set():
            text = "abigate: " + describe(self._state, self._first)
            if self._tty:
                width = shutil.get_terminal_size((80, 24)).columns - 1
                if len(text) > width:
                    text = text[: max(0, width - 1)] + "…"
                if text != last:
                    self._write("\r" + text + "\x1b[K")
            elif text != last:
                self._write(text + "\n")
            self._drawn = True
            last = text
            self._stop.wait(period)
