"""``abigate check --format json``: the report as one JSON document, schema ``abigate.check/2``. Pure.

The document is built as one tree and dumped by one encoder (never stitched by hand), with sorted keys, so
two runs on the same inputs give the same bytes; :func:`write_json` hands the text over in pieces and makes
each finding's dict as it is written. ``resources/check.schema.json`` documents it; tests validate against it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from abigate import __version__
from abigate._jsontext import Lazy, dumps_indented, write_indented
from abigate.findings import Finding, Report

__all__ = ["SCHEMA_ID", "render_json", "to_document", "write_json"]

#: bumped only on an incompatible change of the document (the JSON Schema allows no unknown keys, so a new
#: key is one). /2 added the sha256 of each artifact and each resolved profile.
SCHEMA_ID = "abigate.check/2"


def to_document(report: Report, *, lazy: bool = False) -> dict[str, Any]:
    """The JSON-ready document for *report*; *lazy*: each finding's dict is made as it is written."""
    verdicts: dict[str, dict[str, int]] = {}
    for prof in report.profiles:
        failing, total = report.profile_verdict(prof.id)
        verdicts[prof.id] = {"fail": failing, "pass": total - failing}
    return {
        "schema": SCHEMA_ID,
        "abigate_version": __version__,
        "fail_on": report.fail_on.value,
        "select": list(report.select),
        "ignore": list(report.ignore),
        "profiles": [p.to_dict() for p in report.profiles],
        "artifacts": [
            {
                "path": a.path,
                "kind": a.kind,
                "verdicts": dict(a.verdicts),
                "findings": Lazy(a.findings, Finding.to_dict) if lazy else [f.to_dict() for f in a.findings],
                "native_files": a.native_files,
                "sha256": a.sha256,
            }
            for a in report.artifacts
        ],
        "notes": list(report.notes),
        "summary": {
            "artifacts": len(report.artifacts),
            "errors": report.counts.get("error", 0),
            "warnings": report.counts.get("warning", 0),
            "infos": report.counts.get("info", 0),
            "waived": report.counts.get("waived", 0),
            "verdicts": verdicts,
            "verdict": "fail" if report.failed else "pass",
        },
    }


def render_json(report: Report) -> str:
    """The document as indented JSON text ending in a newline."""
    return dumps_indented(to_document(report)) + "\n"


def write_json(report: Report, sink: Callable[[str], object]) -> None:
    """:func:`render_json`'s text handed to *sink* in pieces: never whole in memory."""
    write_indented(to_document(report, lazy=True), sink)
    sink("\n")
