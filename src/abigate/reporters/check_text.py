"""``abigate check`` text report for people. Pure: returns a string.

Grouped artifact → distribution (from ``.dist-info``) → file, worst first. Each finding is one line with its
code and severity, followed by its details, the loader's predicted error and the fix. A summary line ends the
report with the counts and the verdict per profile. Colour only when asked (the command decides: a terminal
and no ``NO_COLOR``).

Verbosity: ``quiet`` shows errors and the summary only; ``normal`` every finding that is not waived;
``verbose`` adds waived findings with their reason, every symbol, and passing artifacts' profile details,
and the sha256 of each profile and artifact (:mod:`abigate.digests`).

Without ``verbose``, a finding repeated on many files of one artifact (the same rule, profile and texts but
for the file's own name, e.g. one ABG103 per file of a wheel built for the wrong architecture) is shown for
its first :data:`COLLAPSE_SHOWN` files, followed by "and N more files with the same finding"; ``verbose``
lists every one. The counts in the summary always include them all.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Sequence
from typing import Literal

import click

from abigate.findings import ArtifactResult, Finding, Report
from abigate.rules._base import Severity

__all__ = ["Verbosity", "render_text", "summary_line"]

Verbosity = Literal["quiet", "normal", "verbose"]

_SEV_COLOUR = {"error": "red", "warning": "yellow", "info": "cyan"}
_NO_DIST = "(files outside any .dist-info)"
_ARTIFACT_LEVEL = "(the artifact itself)"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class _Styler:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, **kw: object) -> str:
        return click.style(text, **kw) if self.color else text  # type: ignore[arg-type]

    def severity(self, sev: Severity) -> str:
        return self(f"{sev.value:<7}", fg=_SEV_COLOUR[sev.value], bold=sev is Severity.ERROR)

    def verdict(self, verdict: str) -> str:
        return self(verdict.upper(), fg="red" if verdict == "fail" else "green", bold=True)


def _visible(f: Finding, verbosity: Verbosity) -> bool:
    if f.waived is not None:
        return verbosity == "verbose"
    if verbosity == "quiet":
        return f.severity is Severity.ERROR
    return True


def _worst(findings: Sequence[Finding]) -> int:
    return max((f.severity.rank for f in findings if f.waived is None), default=0)


def _verdict_text(res: ArtifactResult, style: _Styler) -> str:
    parts = [f"{style.verdict(v)} on {pid}" for pid, v in res.verdicts.items()]
    return ", ".join(parts)


def _finding_lines(f: Finding, style: _Styler, verbosity: Verbosity, multi: bool) -> list[str]:
    pad = " " * 6
    more = " " * 21
    head = f"{pad}{style(f.code, bold=True)} {style.severity(f.severity)} {f.message}"
    if multi:
        head += f" [{f.profile}]"
    lines = [head]
    for detail in f.details:
        lines.append(f"{more}{detail}")
    if verbosity == "verbose" and f.symbols:
        lines.append(f"{more}symbols: {', '.join(f.symbols)}")
    if f.loader_message:
        lines.append(f"{more}{style('loader:', dim=True)} {f.loader_message}")
    lines.append(f"{more}{style('fix:', bold=True)} {f.hint}")
    if f.waived is not None:
        lines.append(f"{more}waived: {f.waived}")
    return lines


#: without ``-v``, a finding repeated on at least this many files of one artifact is collapsed …
COLLAPSE_MIN = 5
#: … to its first files in report order, followed by "and N more files".
COLLAPSE_SHOWN = 3


def _pattern(f: Finding) -> tuple[object, ...]:
    """What makes two findings "the same" apart from the file: every text with the file's path blanked out.

    A wrong-architecture wheel gives one ABG103 per file whose texts differ only by the file's name (the
    loader message names it), so the file's display path, member path and base name become one placeholder.
    """
    tokens = [t for t in dict.fromkeys((f.path, f.member, posixpath.basename(f.member))) if t]

    def blank(text: str) -> str:
        for token in tokens:
            text = text.replace(token, "\0")
        return text

    return (f.code, f.severity, f.profile, f.waived, f.library, blank(f.message),
            tuple(blank(d) for d in f.details), blank(f.hint), blank(f.loader_message or ""))


def _collapse(order: Sequence[Finding], verbosity: Verbosity) -> tuple[set[int], dict[int, int]]:
    """(positions to hide, position → number hidden after it) for findings repeated on many files."""
    if verbosity == "verbose":
        return set(), {}
    groups: dict[tuple[object, ...], list[int]] = {}
    for pos, f in enumerate(order):
        if f.member:  # artifact-level findings are about no file
            groups.setdefault(_pattern(f), []).append(pos)
    hidden: set[int] = set()
    tails: dict[int, int] = {}
    for positions in groups.values():
        if len(positions) >= COLLAPSE_MIN:
            hidden.update(positions[COLLAPSE_SHOWN:])
            tails[positions[COLLAPSE_SHOWN - 1]] = len(positions) - COLLAPSE_SHOWN
    return hidden, tails


def _artifact_lines(res: ArtifactResult, style: _Styler, verbosity: Verbosity, multi: bool) -> list[str]:
    shown = [f for f in res.findings if _visible(f, verbosity)]
    if not shown and verbosity == "quiet":
        return []
    lines = [f"{style(res.path, bold=True)}: {_verdict_text(res, style)}"]
    if verbosity == "verbose" and res.sha256:
        lines.append(f"  sha256: {res.sha256}")
    by_dist: dict[str, list[Finding]] = {}
    for f in shown:
        key = f.distribution or (_ARTIFACT_LEVEL if not f.member else _NO_DIST)
        by_dist.setdefault(key, []).append(f)
    dist_order: Callable[[str], tuple[int, int, str]] = lambda d: (  # noqa: E731
        -_worst(by_dist[d]),
        d in (_NO_DIST, _ARTIFACT_LEVEL),
        d,
    )
    # Report order first (distribution, file, finding), so that collapsing keeps the first files as shown.
    layout: list[tuple[str, str, list[Finding]]] = []
    for dist in sorted(by_dist, key=dist_order):
        by_file: dict[str, list[Finding]] = {}
        for f in by_dist[dist]:
            by_file.setdefault(f.member or res.path, []).append(f)
        for member in sorted(by_file, key=lambda m: (-_worst(by_file[m]), m)):
            ordered = sorted(
                by_file[member],
                key=lambda f: (-f.severity.rank, f.code, f.profile, f.library or "", f.message),
            )
            layout.append((dist, member, ordered))
    order = [f for _, _, found in layout for f in found]
    hidden, tails = _collapse(order, verbosity)
    pos = 0
    last_dist: str | None = None
    for dist, member, found in layout:
        kept = []
        for f in found:
            if pos not in hidden:
                kept.append((f, tails.get(pos)))
            pos += 1
        if not kept:
            continue
        # An artifact without any .dist-info (a plain deploy folder) needs no distribution heading.
        if dist != last_dist and not (dist == _NO_DIST and len(by_dist) == 1):
            lines.append(f"  {dist}")
        last_dist = dist
        lines.append(f"    {member}")
        for f, more in kept:
            lines.extend(_finding_lines(f, style, verbosity, multi))
            if more:
                tail = f"and {_plural(more, 'more file')} with the same finding"
                lines.append(f"{' ' * 21}{style(tail, dim=True)} (-v lists them)")
    return lines


def _summary(report: Report, style: _Styler) -> str:
    c = report.counts
    counts = (
        f"{_plural(c.get('error', 0), 'error')}, {_plural(c.get('warning', 0), 'warning')}, "
        f"{c.get('info', 0)} info"
    )
    if c.get("waived"):
        counts += f", {c['waived']} waived"
    verdicts = []
    for prof in report.profiles:
        failing, total = report.profile_verdict(prof.id)
        verdict = "fail" if failing else "pass"
        verdicts.append(
            f"{prof.id}: {style.verdict(verdict)} ({failing} of {_plural(total, 'artifact')} failing)"
        )
    return f"summary: {counts} in {_plural(len(report.artifacts), 'artifact')}; " + "; ".join(verdicts)


def summary_line(report: Report) -> str:
    """The summary without its ``summary:`` label or colour, for the other formats (``--format github``)."""
    return _summary(report, _Styler(False)).removeprefix("summary: ")


def render_text(report: Report, *, color: bool = False, verbosity: Verbosity = "normal") -> str:
    """The report as text ending in a newline."""
    style = _Styler(color)
    multi = len(report.profiles) > 1
    lines: list[str] = []
    if verbosity == "verbose":
        for prof in report.profiles:
            py = f", Python {prof.python}" if prof.python else ""
            lines.append(
                f"profile {prof.id}: {prof.title} ({prof.arch}, {prof.libc} {prof.libc_version}{py})"
            )
            if prof.sha256:
                lines.append(f"  sha256: {prof.sha256}")
    for res in report.artifacts:
        block = _artifact_lines(res, style, verbosity, multi)
        if block:
            lines.extend(block)
    for note in report.notes:
        lines.append(f"note: {note}")
    lines.append(_summary(report, style))
    return "\n".join(lines) + "\n"
