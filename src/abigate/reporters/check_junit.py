"""``abigate check --format junit``: JUnit XML for the test tabs of GitLab, Jenkins and Azure DevOps. Pure.

The question "does this artifact load on that target?" is a test: a ``testsuite`` per profile (named by its
id), a ``testcase`` per artifact (``name`` and ``file`` the artifact's path, ``classname`` the profile id).
An artifact failing a profile gets one ``failure`` whose ``message`` counts its problems and whose text lists
them, one problem per paragraph (findings with one root cause roll up, :mod:`abigate.rollup`: the files are
listed under it) with details, the loader's predicted error and the fix. Findings that do not fail the gate
(warnings below ``--fail-on``, information, waived ones with their reason) go to the testcase's
``system-out``. The run's notes are the ``system-out`` of the ``testsuites`` element.

Built with :mod:`xml.etree.ElementTree` (escaping is its job); characters XML 1.0 cannot hold are replaced by
``?``. Attributes keep a fixed order and no time is recorded, so two runs on the same inputs give the same
bytes.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from abigate.findings import ArtifactResult, Finding, Report
from abigate.rollup import Rollup, roll_up

__all__ = ["render_junit"]

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub("?", text)


def _problem(r: Rollup) -> list[str]:
    f = r.head
    lines = [f"{f.path}: {f.code} {f.slug} ({r.severity.value}): {f.message}"]
    lines.extend(f"    {d}" for d in f.details)
    if f.loader_message:
        lines.append(f"    loader: {f.loader_message}")
    lines.append(f"    fix: {f.hint}")
    if f.waived is not None:
        lines.append(f"    waived: {f.waived}")
    if r.others:
        lead = (f"same cause: {', '.join(r.other_codes)} on" if r.kind == "cause" else "same finding on")
        lines.append(f"    {lead} {len(r.files())} more file{'s' if len(r.files()) != 1 else ''}:")
        lines.extend(f"      {p}" for p in r.files())
    return lines


def _text(rollups: list[Rollup]) -> str:
    return _clean("\n\n".join("\n".join(_problem(r)) for r in rollups))


def _testcase(suite: ET.Element, res: ArtifactResult, profile: str, report: Report) -> bool:
    case = ET.SubElement(suite, "testcase", {"classname": profile, "name": res.path, "file": res.path})
    mine = [f for f in res.findings if f.profile == profile]
    failing: list[Finding] = [f for f in mine if f.counts_against(report.fail_on)]
    rest = [f for f in mine if not f.counts_against(report.fail_on)]
    failed = res.verdicts.get(profile) == "fail"
    if failed:
        problems = roll_up(failing)
        codes = ", ".join(dict.fromkeys(r.head.code for r in problems))
        plural = "s" if len(problems) != 1 else ""
        many = "s" if len(failing) != 1 else ""
        message = f"{len(problems)} problem{plural} ({len(failing)} finding{many}) on {profile}: {codes}"
        failure = ET.SubElement(case, "failure", {"message": _clean(message), "type": problems[0].head.code})
        failure.text = _text(problems)
    if rest:
        ET.SubElement(case, "system-out").text = _text(roll_up(rest))
    return failed


def render_junit(report: Report) -> str:
    """The report as a JUnit XML document ending in a newline."""
    cases = len(report.artifacts) * len(report.profiles)
    failures = sum(report.profile_verdict(p.id)[0] for p in report.profiles)
    root = ET.Element("testsuites", {"name": "abigate check", "tests": str(cases), "failures": str(failures),
                                     "errors": "0", "skipped": "0"})
    for prof in report.profiles:
        failing, total = report.profile_verdict(prof.id)
        suite = ET.SubElement(root, "testsuite", {"name": prof.id, "tests": str(total),
                                                  "failures": str(failing), "errors": "0", "skipped": "0"})
        props = ET.SubElement(suite, "properties")
        for name, value in (("title", prof.title), ("arch", prof.arch),
                            ("libc", f"{prof.libc} {prof.libc_version}"), ("python", prof.python),
                            ("fail_on", report.fail_on.value)):
            if value:
                ET.SubElement(props, "property", {"name": name, "value": _clean(value)})
        for res in report.artifacts:
            _testcase(suite, res, prof.id, report)
    if report.notes:
        ET.SubElement(root, "system-out").text = _clean("\n".join(report.notes))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
