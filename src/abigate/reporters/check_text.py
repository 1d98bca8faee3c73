"""``abigate check`` text report for people. Pure: returns a string.

Grouped artifact → distribution (from ``.dist-info``) → file, worst first. Each finding is one line with its
code and severity, followed by its details, the loader's predicted error and the fix. A summary line ends the
report with the counts and the verdict per profile. Colour only when asked (the command decides: a terminal
and no ``NO_COLOR``).

Verbosity: ``quiet`` prints one line per problem that fails the gate (``path: CODE message``, as ``--format
concise``) and the summary; ``normal`` every finding that is not waived; ``verbose`` adds waived findings with
their reason, every symbol, the profiles used, and the sha256 of each profile and artifact
(:mod:`abigate.digests`).

Without ``verbose``, findings with one root cause are shown once (:mod:`abigate.rollup`): the ABG301 of each
extension module of a distribution whose tags ABG302 rejects under that ABG302, and a finding repeated on
several files of one distribution (one ABG103 per file of a wheel for the wrong architecture) under its first
file, each followed by the files it stands for (at most :data:`ROLLUP_SHOWN`). A rollup never crosses a
distribution. ``verbose`` shows every finding on its own; the summary's counts always include them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Literal

import click

from abigate.findings import ArtifactResult, Finding, Report
from abigate.reporters import write_lines
from abigate.rollup import Rollup, roll_up
from abigate.rules._base import Severity

__all__ = ["ROLLUP_SHOWN", "Verbosity", "render_statistics", "render_text", "summary_line", "write_text"]

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
    return f.waived is None or verbosity == "verbose"


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


#: without ``-v``, a rollup lists at most this many of its other files, then "… and N more files".
ROLLUP_SHOWN = 8


def _rollup_lines(r: Rollup, style: _Styler) -> list[str]:
    """The lines after a rolled-up head: which other files it stands for."""
    more = " " * 21
    files = r.members()
    if r.kind == "cause":
        codes = ", ".join(r.other_codes)
        lead = f"same cause: {codes} on {_plural(len(files), 'file')} of this distribution:"
    else:
        lead = f"same finding on {_plural(len(files), 'more file')}:"
    lines = [f"{more}{style(lead, bold=True)}"]
    lines.extend(f"{more}  {path}" for path in files[:ROLLUP_SHOWN])
    if len(files) > ROLLUP_SHOWN:
        hidden = _plural(len(files) - ROLLUP_SHOWN, "more file")
        tail = f"… and {hidden} (-v or --format json lists every one)"
        lines.append(f"{more}  {style(tail, dim=True)}")
    return lines


def _artifact_lines(
    res: ArtifactResult, style: _Styler, verbosity: Verbosity, multi: bool
) -> Iterator[str]:
    shown = [f for f in res.findings if _visible(f, verbosity)]
    yield f"{style(res.path, bold=True)}: {_verdict_text(res, style)}"
    if verbosity == "verbose" and res.sha256:
        yield f"  sha256: {res.sha256}"
    # Without -v, findings with one root cause are one problem (abigate.rollup); -v shows each one.
    rollups = ([Rollup("single", (f,)) for f in shown] if verbosity == "verbose"
               else roll_up(shown))
    by_dist: dict[str, list[Rollup]] = {}
    for r in rollups:
        f = r.head
        key = f.distribution or (_ARTIFACT_LEVEL if not f.member else _NO_DIST)
        by_dist.setdefault(key, []).append(r)

    def worst(items: Sequence[Rollup]) -> int:
        return _worst([f for r in items for f in r.findings])

    dist_order: Callable[[str], tuple[int, int, str]] = lambda d: (
        -worst(by_dist[d]),
        d in (_NO_DIST, _ARTIFACT_LEVEL),
        d,
    )
    for dist in sorted(by_dist, key=dist_order):
        # An artifact without any .dist-info (a plain deploy folder) needs no distribution heading.
        if not (dist == _NO_DIST and len(by_dist) == 1):
            yield f"  {dist}"
        by_file: dict[str, list[Rollup]] = {}
        for r in by_dist[dist]:
            by_file.setdefault(r.head.member or res.path, []).append(r)
        for member in sorted(by_file, key=lambda m: (-worst(by_file[m]), m)):
            yield f"    {member}"
            ordered = sorted(
                by_file[member],
                key=lambda r: (-r.head.severity.rank, r.head.code, r.head.profile, r.head.library or "",
                               r.head.message),
            )
            for r in ordered:
                yield from _finding_lines(r.head, style, verbosity, multi)
                if r.others:
                    yield from _rollup_lines(r, style)


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
    return "\n".join(_lines(report, color, verbosity)) + "\n"


def write_text(report: Report, sink: Callable[[str], object], *, color: bool = False,
               verbosity: Verbosity = "normal") -> None:
    """:func:`render_text`'s text handed to *sink* a few thousand lines at a time: ``-v`` on 20,000 files
    is never whole in memory."""
    write_lines(_lines(report, color, verbosity), sink)


def _lines(report: Report, color: bool, verbosity: Verbosity) -> Iterator[str]:
    style = _Styler(color)
    multi = len(report.profiles) > 1
    if verbosity == "verbose":
        for prof in report.profiles:
            py = f", Python {prof.python}" if prof.python else ""
            yield f"profile {prof.id}: {prof.title} ({prof.arch}, {prof.libc} {prof.libc_version}{py})"
            if prof.sha256:
                yield f"  sha256: {prof.sha256}"
    if verbosity == "quiet":
        from abigate.reporters.check_concise import concise_lines

        yield from concise_lines(report, verbosity="quiet")
    else:
        for res in report.artifacts:
            yield from _artifact_lines(res, style, verbosity, multi)
    for note in report.notes:
        yield f"note: {note}"
    yield _summary(report, style)


def render_statistics(report: Report, *, color: bool = False) -> str:
    """``--statistics``: findings per rule, most frequent first, then the notes and the summary.

    One row per rule with at least one finding: the count (every file, every profile: no rollup), the code,
    the slug and the severity; waived findings are counted apart. The order is count (descending), then code.
    """
    style = _Styler(color)
    counts: dict[str, list[int]] = {}
    info: dict[str, tuple[str, Severity]] = {}
    for res in report.artifacts:
        for f in res.findings:
            row = counts.setdefault(f.code, [0, 0])
            row[1 if f.waived is not None else 0] += 1
            best = info.get(f.code)
            if best is None or f.severity.rank > best[1].rank:
                info[f.code] = (f.slug, f.severity)
    order = sorted(counts, key=lambda code: (-sum(counts[code]), code))
    width = max((len(str(counts[c][0])) for c in order), default=1)
    slug_width = max((len(info[c][0]) for c in order), default=0)
    lines = []
    for code in order:
        active, waived = counts[code]
        slug, severity = info[code]
        line = f"{active:>{width}}  {style(code, bold=True)}  {slug:<{slug_width}}  "
        line += style.severity(severity)
        if waived:
            line += f"  (+{waived} waived)"
        lines.append(line.rstrip())
    lines.extend(f"note: {note}" for note in report.notes)
    lines.append(_summary(report, style))
    return "\n".join(lines) + "\n"
