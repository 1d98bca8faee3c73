"""What the pipeline formats (SARIF, GitLab Code Quality, JUnit) share: rule links, file URIs, fingerprints.

Pure: the base folder for relative paths is a parameter (the command passes the current folder).

Fingerprints identify a problem across runs, so that a code-scanning alert or a merge-request widget entry
stays the same alert while the problem stays. A fingerprint is the SHA-256 (hex, first 32 digits) of:
``abigate/v1``, the rule code, the profile id, the artifact's path with version noise removed, the file's
member path with version noise removed (for a rollup of repeated findings, its distribution's name instead of
the first file), and the library the finding is about. Version noise is what changes from one build of the
same thing to the next: the version field of a wheel, sdist, conda package or ``.dist-info``/``.data`` folder
name (the tags stay: a wheel for another platform is another file), and the 8-hex-digit content hash that
auditwheel puts in the names of the libraries it grafts (``libgfortran-040039e1.so.5``). The message is not
part of it: when a file that needed GLIBC_2.34 now needs GLIBC_2.35, it is the same problem, still unsolved.
Two problems of one run that would share a fingerprint get ``:2``, ``:3``… in report order.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from urllib.parse import quote

from abigate.findings import Finding
from abigate.rollup import Rollup, container
from abigate.rules import RULES, Rule

__all__ = ["INFORMATION_URI", "RULES_DOC_URL", "Fingerprints", "disk_path", "file_uri", "rule_doc_url",
           "stable_name"]

#: the project's home page.
INFORMATION_URI = "https://github.com/abigate/abigate"
#: the rule catalogue on the project's repository; each rule is the section ``#abg201`` of it.
RULES_DOC_URL = f"{INFORMATION_URI}/blob/main/docs/rules.md"

#: ``name-1.2.3-cp311-…whl``, ``name-1.2.3.tar.gz``, ``name-1.2.3-py_0.conda``, ``name-1.2.3.dist-info``.
_WHEEL = re.compile(r"^(?P<name>[^-/]+)-(?P<version>[^-/]+)(?P<rest>(?:-[^-/]+)?-[^-/]+-[^-/]+-[^-/]+\.whl)$")
_SDIST = re.compile(r"^(?P<name>[^-/]+)-(?P<version>[0-9][^-/]*)(?P<rest>\.(?:tar\.gz|zip))$")
_CONDA = re.compile(r"^(?P<name>.+)-(?P<version>[^-/]+)(?P<rest>-[^-/]+\.(?:conda|tar\.bz2))$")
_DIST_DIR = re.compile(r"^(?P<name>[^-/]+)-(?P<version>[^-/]+)(?P<rest>\.(?:dist-info|data|egg-info))$")
#: auditwheel's grafted libraries: ``libfoo-1a2b3c4d.so.1`` (8 hex digits of the file's hash).
_GRAFTED = re.compile(r"^(?P<name>.+)-[0-9a-f]{8}(?P<rest>\.so(?:\.[0-9.]+)?)$")


def rule_doc_url(rule: Rule) -> str:
    """The rule's section of ``docs/rules.md`` on the project's repository."""
    return f"{RULES_DOC_URL}#{rule.code.lower()}"


def _stable_segment(segment: str) -> str:
    for regex in (_WHEEL, _SDIST, _CONDA, _DIST_DIR):
        m = regex.match(segment)
        if m:
            return f"{m.group('name')}-*{m.group('rest')}"
    m = _GRAFTED.match(segment)
    return f"{m.group('name')}-*{m.group('rest')}" if m else segment


def stable_name(path: str) -> str:
    """*path* without version noise, segment by segment (``!`` and ``/`` kept).

    >>> stable_name("dist/pkg-1.0-cp311-cp311-manylinux_2_17_x86_64.whl!pkg.libs/libz-0123abcd.so.1.3")
    'dist/pkg-*-cp311-cp311-manylinux_2_17_x86_64.whl!pkg.libs/libz-*.so.1.3'
    """
    return "!".join("/".join(_stable_segment(s) for s in part.split("/")) for part in path.split("!"))


def disk_path(f: Finding) -> str:
    """The file on disk a finding is in: the archive for anything inside one, else the file itself."""
    return f.path.partition("!")[0]


def relative_path(path: str, base: str | None) -> str | None:
    """*path* relative to the folder *base* (POSIX form) when it is under it, else ``None``."""
    if base is None:
        return None
    full = posixpath.normpath(posixpath.join(base, path))
    root = posixpath.normpath(base)
    if full == root or not full.startswith(root.rstrip("/") + "/"):
        return None
    return full[len(root.rstrip("/")) + 1:]


def file_uri(path: str, base: str | None) -> tuple[str, bool]:
    """(URI, relative?) for *path*: relative to *base* when under it, else an absolute ``file://`` URI."""
    rel = relative_path(path, base)
    if rel is not None:
        return quote(rel), True
    full = posixpath.normpath(posixpath.join(base, path)) if base else path
    if full.startswith("/"):
        return "file://" + quote(full), False
    return quote(full), True


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(("abigate/v1", *parts)).encode("utf-8")).hexdigest()[:32]


class Fingerprints:
    """Fingerprints of the problems of one run, made unique in the order they are asked for."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def __call__(self, r: Rollup) -> str:
        f = r.head
        if r.kind == "repeat":
            where = container(f) + "!" + (f.distribution or "").partition("==")[0] + "!*"
        else:
            where = f.path
        base = _digest(f.code, f.profile, stable_name(f.artifact), stable_name(where), f.library or "")
        n = self._seen.get(base, 0) + 1
        self._seen[base] = n
        return base if n == 1 else f"{base}:{n}"


def rules_by_code() -> dict[str, Rule]:
    return {r.code: r for r in RULES}
