"""``abigate check --format gitlab``: a GitLab Code Quality report (a JSON array of issues). Pure.

GitLab reads it from ``artifacts: reports: codequality:`` and shows new and fixed issues in the merge request.
One issue per problem (findings with one root cause roll up, :mod:`abigate.rollup`), each with:

* ``description``: ``CODE message``, with the profile when there are several and how many files a rollup
  stands for;
* ``check_name``: the rule code; ``fingerprint``: abigate's fingerprint (:mod:`abigate.reporters._pipeline`),
  stable across runs while the problem stays;
* ``severity``: error → ``critical``, warning → ``major``, info → ``info`` (GitLab's scale is info, minor,
  major, critical, blocker);
* ``location.path``: the file on disk (the wheel or zip for anything inside one), relative to the current
  folder when it is under it, as GitLab wants paths relative to the repository; ``location.lines.begin`` is 1
  (a binary has no lines);
* ``content.body``: the whole text (details, the loader's predicted error, the fix, the files of a rollup);
  ``type`` ``issue`` and ``categories`` ``["Compatibility"]`` (Code Climate's fields, which GitLab accepts).

Waived findings are left out: GitLab has no notion of an accepted issue. Run notes and the verdict are not
issues either; the command's exit status carries the verdict.
"""

from __future__ import annotations

from typing import Any

from abigate._jsontext import dumps_indented
from abigate.findings import Report
from abigate.reporters._pipeline import Fingerprints, disk_path, relative_path
from abigate.rollup import Rollup, roll_up
from abigate.rules._base import Severity

__all__ = ["SEVERITY", "render_gitlab", "to_gitlab"]

SEVERITY = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "info"}


def _description(r: Rollup, multi: bool) -> str:
    f = r.head
    inner = f.path.partition("!")[2]
    text = f"{f.code} {f.message}" + (f" ({inner})" if inner else "")
    if multi:
        text += f" [{f.profile}]"
    files = len(r.files())
    if r.kind == "cause":
        plural = "s" if files != 1 else ""
        text += f" (and {', '.join(r.other_codes)} on {files} file{plural} of this distribution)"
    elif r.kind == "repeat":
        text += f" (and {files} more file{'s' if files != 1 else ''})"
    return text


def _body(r: Rollup) -> str:
    f = r.head
    lines = [f"{f.code} {f.slug}: {f.message}", "", f"`{f.path}`", ""]
    lines.extend(f"- {d}" for d in f.details)
    if f.loader_message:
        lines.append(f"- loader: `{f.loader_message}`")
    lines.append(f"- fix: {f.hint}")
    if r.others:
        lines.append("")
        lines.append("Same problem on:" if r.kind == "repeat" else
                     f"Same cause: {', '.join(r.other_codes)} on:")
        lines.extend(f"- `{p}`" for p in r.files())
    return "\n".join(lines)


def to_gitlab(report: Report, *, base: str | None = None) -> list[dict[str, Any]]:
    """The Code Quality issues of *report*; paths under *base* (the current folder) become relative."""
    multi = len(report.profiles) > 1
    fingerprint = Fingerprints()
    issues = []
    for res in report.artifacts:
        for r in roll_up([f for f in res.findings if f.waived is None]):
            f = r.head
            path = disk_path(f)
            issues.append({
                "type": "issue",
                "check_name": f.code,
                "description": _description(r, multi),
                "content": {"body": _body(r)},
                "categories": ["Compatibility"],
                "fingerprint": fingerprint(r),
                "severity": SEVERITY[r.severity],
                "location": {"path": relative_path(path, base) or path, "lines": {"begin": 1}},
            })
    return issues


def render_gitlab(report: Report, *, base: str | None = None) -> str:
    """The issues as indented JSON text ending in a newline."""
    return dumps_indented(to_gitlab(report, base=base)) + "\n"
