"""``abigate check --format github``: GitHub Actions workflow commands and the job summary; pure.

Each problem becomes one ``::error``/``::warning``/``::notice`` line (by severity) that the Actions runner turns
into an annotation on the run and, when the file is in the pull request, on the file::

    ::error file=dist/pkg.whl,title=ABG201 missing-symbol-version::needs GLIBC_2.34 … (member pkg/_x.so)%0A…

``file`` is the outermost path on disk: the wheel or zip for anything inside one, the file itself for a member
of a scanned folder. The rest of the display path (``pkg/_x.so``, or ``inner.whl!pkg/_x.so`` when nested) is
named in the message. Details, the predicted loader error and the fix follow on further lines of the same
annotation (newlines escaped, so each problem is still one command line). Findings with one root cause are
one problem (:mod:`abigate.rollup`; its annotation names the other files), except with ``-v``. Run notes and the summary come
last, as ``::notice`` lines. Errors come first, then warnings, then notices, each in the report's order;
GitHub shows at most 10 annotations of each kind per step and silently drops the rest, so abigate writes 10
of each and one notice counting the others. They are all in the Markdown job summary
(:func:`render_summary`), which ``abigate check --format github`` appends to ``$GITHUB_STEP_SUMMARY`` when
that is set.

Escaping follows the Actions toolkit (``@actions/core``, ``command.ts``): in the message ``%``, ``\\r`` and
``\\n`` become ``%25``, ``%0D`` and ``%0A``; in property values ``:`` and ``,`` also become ``%3A`` and ``%2C``.
"""

from __future__ import annotations

from abigate.findings import ArtifactResult, Finding, Report
from abigate.reporters._pipeline import RULES_DOC_URL
from abigate.reporters.check_text import Verbosity, summary_line
from abigate.rollup import Rollup, roll_up
from abigate.rules._base import Severity

__all__ = ["ANNOTATIONS_PER_KIND", "SUMMARY_BYTES", "SUMMARY_ROWS", "escape_data", "escape_property", "md_cell",
           "render_github", "render_summary"]

#: workflow command per severity: GitHub has error, warning and notice annotations.
_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
_KIND_ORDER = ("error", "warning", "notice")

#: annotations of one kind (error, warning, notice) GitHub shows per step; it drops the others silently
#: (documented limits: 10 of each kind per step, 50 per job).
ANNOTATIONS_PER_KIND = 10


def escape_data(text: str) -> str:
    """Escape a command's message: ``%``, CR and LF.

    >>> escape_data("50% done\\nnext")
    '50%25 done%0Anext'
    """
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value (``file=``, ``title=``): the message escapes plus ``:`` and ``,``.

    >>> escape_property("a,b:c")
    'a%2Cb%3Ac'
    """
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(name: str, message: str, **properties: str) -> str:
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def _location(f: Finding) -> tuple[str, str]:
    """(file on disk, the rest of the display path): ``a.zip!w.whl!x.so`` → ``("a.zip", "w.whl!x.so")``."""
    outer, _, inner = f.path.partition("!")
    return outer, inner


#: files of a rollup named in an annotation or a summary row; the JSON report names every one.
_FILES_SHOWN = 10


def _rolled(r: Rollup) -> str | None:
    """The line saying which other files a rollup stands for (``None`` for a single finding)."""
    if not r.others:
        return None
    files = r.members()
    shown = ", ".join(files[:_FILES_SHOWN])
    if len(files) > _FILES_SHOWN:
        shown += f", … ({len(files) - _FILES_SHOWN} more)"
    if r.kind == "cause":
        return (f"same cause: {', '.join(r.other_codes)} on {_plural(len(files), 'file')} of this "
                f"distribution: {shown}")
    return f"same problem on {_plural(len(files), 'more file')}: {shown}"


def _problems(report: Report, verbosity: Verbosity) -> list[Rollup]:
    """The visible findings as problems: one root cause is one problem, except with ``-v`` (every finding)."""
    out: list[Rollup] = []
    for res in report.artifacts:
        visible = [f for f in res.findings if _visible(f, verbosity)]
        if verbosity == "verbose":
            out.extend(Rollup("single", (f,)) for f in visible)
        else:
            out.extend(roll_up(visible))
    return out


def _message(r: Rollup, multi: bool, verbosity: Verbosity) -> str:
    f = r.head
    inner = _location(f)[1]
    head = f.message + (f" (member {inner})" if inner else "")
    if multi:
        head += f" [{f.profile}]"
    lines = [head, *f.details]
    if verbosity == "verbose" and f.symbols:
        lines.append(f"symbols: {', '.join(f.symbols)}")
    if f.loader_message:
        lines.append(f"loader: {f.loader_message}")
    lines.append(f"fix: {f.hint}")
    rolled = _rolled(r)
    if rolled:
        lines.append(rolled)
    if f.waived is not None:
        lines.append(f"waived: {f.waived}")
    return "\n".join(lines)


def _visible(f: Finding, verbosity: Verbosity) -> bool:
    if f.waived is not None:
        return verbosity == "verbose"
    return f.severity is Severity.ERROR or verbosity != "quiet"


def _kind(f: Finding) -> str:
    # An accepted finding is information, whatever the rule's severity.
    return "notice" if f.waived is not None else _COMMAND[f.severity]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def render_github(report: Report, *, verbosity: Verbosity = "normal", summary: bool = False) -> str:
    """The report as workflow commands, ending in a newline.

    Errors come first, then warnings, then notices (each in the report's order), at most
    :data:`ANNOTATIONS_PER_KIND` of each: GitHub shows no more per step and drops the rest silently. What
    does not fit is counted in one notice that says where it is: the job summary when *summary* (the
    caller writes one), else the other formats. Run notes follow the finding notices, and the summary
    notice is always there.

    ``quiet`` annotates errors only; ``verbose`` adds waived findings (as notices, with the waiver's reason)
    and every symbol.
    """
    multi = len(report.profiles) > 1
    by_kind: dict[str, list[str]] = {kind: [] for kind in _KIND_ORDER}
    for r in _problems(report, verbosity):
        f = r.head
        by_kind[_kind(f)].append(_command(_kind(f), _message(r, multi, verbosity), file=_location(f)[0],
                                          title=f"{f.code} {f.slug}"))
    by_kind["notice"].extend(_command("notice", note, title="abigate note") for note in report.notes)
    cut = {kind: max(0, len(lines) - ANNOTATIONS_PER_KIND) for kind, lines in by_kind.items()}
    # The summary notice, and the notice about what was cut, take two of the notices GitHub shows.
    cut["notice"] = max(0, len(by_kind["notice"]) - (ANNOTATIONS_PER_KIND - 1 - bool(any(cut.values()))))
    lines: list[str] = []
    for kind in _KIND_ORDER:
        lines.extend(by_kind[kind][: len(by_kind[kind]) - cut[kind]])
    if any(cut.values()):
        parts = [_plural(cut[kind], word) for kind, word in zip(_KIND_ORDER, ("error", "warning", "notice"),
                                                                 strict=True) if cut[kind]]
        where = ("they are all in the job summary" if summary
                 else "abigate check --format text or json lists them all")
        lines.append(_command(
            "notice", f"{', '.join(parts)} more not annotated (GitHub shows {ANNOTATIONS_PER_KIND} of each "
            f"kind per step): {where}", title="abigate: more findings"))
    lines.append(_command("notice", summary_line(report), title="abigate summary"))
    return "\n".join(lines) + "\n"


#: the job summary's budget: GitHub refuses a step summary over 1 MiB and shows none of it, so the
#: findings table stops well before (the counts and verdicts above it are always there).
SUMMARY_BYTES = 512 * 1024
#: findings rows at most, however short: a table of thousands of rows helps nobody.
SUMMARY_ROWS = 500

_SEVERITY_MARK = {"error": "❌ error", "warning": "⚠️ warning", "notice": "ℹ️ info"}
#: Markdown punctuation escaped in table cells (CommonMark: any ASCII punctuation may be backslash-escaped).
_MD_PUNCT = frozenset("\\`*_[]|~#!")


def md_cell(text: str) -> str:
    """*text* safe in a Markdown table cell: HTML and Markdown escaped, one line.

    File and library names come from the artifact, which may be hostile: nothing in them may add HTML,
    links or table columns to the summary.

    >>> md_cell("a|b <i>*x*</i>")
    'a\\\\|b &lt;i&gt;\\\\*x\\\\*&lt;/i&gt;'
    """
    out = []
    for ch in text:
        if ch in "<>&\"'":
            out.append({"<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&#39;"}[ch])
        elif ch in _MD_PUNCT:
            out.append("\\" + ch)
        elif ch in "\r\n":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def _verdict_cell(report: Report, res: ArtifactResult, profile: str) -> str:
    counting = [f for f in res.findings if f.profile == profile and f.counts_against(report.fail_on)]
    if res.verdicts.get(profile) == "fail":
        by = {sev: sum(f.severity is sev for f in counting) for sev in (Severity.ERROR, Severity.WARNING)}
        parts = [_plural(n, sev.value) for sev, n in by.items() if n]
        return "❌ fail" + (f" ({', '.join(parts)})" if parts else "")
    return "✅ pass"


def render_summary(report: Report) -> str:
    """The report as Markdown for ``$GITHUB_STEP_SUMMARY``: verdicts, counts, findings, notes.

    A table of verdicts (artifact × profile), the counts, then every problem (findings with one root cause
    are one row naming their files), errors first, most severe first, waived ones last with their reason; at most :data:`SUMMARY_ROWS` rows and
    :data:`SUMMARY_BYTES` bytes, then a line saying how many more there are and where to find them.
    """
    failed = report.failed
    head = "❌ incompatible" if failed else "✅ compatible"
    lines = [f"### abigate: {head}", ""]
    columns = " | ".join(f"<code>{md_cell(p.id)}</code>" for p in report.profiles)
    lines.append(f"| Artifact | {columns} |")
    lines.append("|:--" * (1 + len(report.profiles)) + "|")
    for res in report.artifacts:
        cells = [_verdict_cell(report, res, p.id) for p in report.profiles]
        lines.append(f"| <code>{md_cell(res.path)}</code> | " + " | ".join(cells) + " |")
    lines += ["", f"**{md_cell(summary_line(report))}**", ""]
    problems = [r for res in report.artifacts for r in roll_up(res.findings)]
    rank = {kind: i for i, kind in enumerate(_KIND_ORDER)}
    problems.sort(key=lambda r: (r.head.waived is not None, rank[_COMMAND[r.head.severity]]))
    multi = len(report.profiles) > 1
    if problems:
        lines.append("| Severity | Rule | " + ("Profile | " if multi else "") + "File | Problem | Fix |")
        lines.append("|:--" * (5 + multi) + "|")
        size = sum(len(line.encode()) + 1 for line in lines)
        for shown, r in enumerate(problems):
            f = r.head
            severity = "waived" if f.waived is not None else _SEVERITY_MARK[_COMMAND[f.severity]]
            rolled = _rolled(r)
            problem = (f.message + (f"; {rolled}" if rolled else "")
                       + (f"; waived: {f.waived}" if f.waived is not None else ""))
            row = (f"| {severity} | [{f.code}]({RULES_DOC_URL}#{f.code.lower()}) {f.slug} | " + (f"{md_cell(f.profile)} | " if multi else "")
                   + f"<code>{md_cell(f.path)}</code> | {md_cell(problem)} | {md_cell(f.hint)} |")
            size += len(row.encode()) + 1
            if shown >= SUMMARY_ROWS or size > SUMMARY_BYTES:
                more = _plural(len(problems) - shown, "more problem")
                lines += ["", f"… and {more} not listed here: `abigate check --format json` keeps every one."]
                break
            lines.append(row)
        lines.append("")
    if report.notes:
        lines += ["Notes:", "", *(f"- {md_cell(note)}" for note in report.notes), ""]
    return "\n".join(lines)
