"""``abigate check --format concise`` and ``-q``: one line per problem. Pure: returns a string.

Each line is ``PATH: CODE message``, where PATH is the finding's display path (``dist/x.whl!pkg/_x.so``, the
artifact itself for a finding about the whole artifact), as ruff's concise output puts one diagnostic per
line for grep, editors and logs. With several profiles the profile id follows in brackets. Findings with one
root cause are one line (:mod:`abigate.rollup`) saying how many files they stand for; ``-v`` prints every
finding on its own line, waived ones included with their reason. Run notes (``note: …``) and the summary
(``summary: …``) end the output, as in the text report.

``quiet`` (``abigate check -q``) keeps only the problems that fail the gate (``--fail-on``).
"""

from __future__ import annotations

from abigate.findings import Finding, Report
from abigate.reporters.check_text import Verbosity, summary_line
from abigate.rollup import Rollup, roll_up

__all__ = ["concise_line", "concise_lines", "render_concise"]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def concise_line(r: Rollup, *, multi: bool = False) -> str:
    """``dist/x.whl!pkg/_x.so: ABG201 needs GLIBC_2.34 … [profile] (and 3 more files)``."""
    f = r.head
    line = f"{f.path}: {f.code} {f.message}"
    if multi:
        line += f" [{f.profile}]"
    files = len(r.files())
    if r.kind == "cause":
        line += f" (and {', '.join(r.other_codes)} on {_plural(files, 'file')} of this distribution)"
    elif r.kind == "repeat":
        line += f" (and {_plural(files, 'more file')})"
    if f.waived is not None:
        line += f" (waived: {f.waived})"
    return line


def _shown(f: Finding, report: Report, verbosity: Verbosity) -> bool:
    if verbosity == "quiet":
        return f.counts_against(report.fail_on)
    return verbosity == "verbose" or f.waived is None


def concise_lines(report: Report, *, verbosity: Verbosity = "normal") -> list[str]:
    """The problem lines alone, in report order."""
    multi = len(report.profiles) > 1
    lines: list[str] = []
    for res in report.artifacts:
        shown = [f for f in res.findings if _shown(f, report, verbosity)]
        rollups = [Rollup("single", (f,)) for f in shown] if verbosity == "verbose" else roll_up(shown)
        lines.extend(concise_line(r, multi=multi) for r in rollups)
    return lines


def render_concise(report: Report, *, verbosity: Verbosity = "normal") -> str:
    """One line per problem, then the notes and the summary; ends in a newline."""
    lines = concise_lines(report, verbosity=verbosity)
    lines.extend(f"note: {note}" for note in report.notes)
    lines.append(f"summary: {summary_line(report)}")
    return "\n".join(lines) + "\n"
