"""Post-deploy smoke tests: what to load on the target, and where the target disagreed with abigate. Pure.

``abigate smoke ARTIFACT -o smoke.py`` writes a stdlib-only script (``resources/smoke.py``) with a *plan*
embedded: every native file of the artifact that the runtime loads, and how it loads it, decided by the
file's role (:mod:`abigate.roles`), never by the host:

* an ``extension`` is imported with ``importlib.import_module`` under its dotted name, with its import root
  first on ``sys.path``: the artifact's root, or the folder the target puts on ``sys.path`` for a known
  layout — any ``site-packages`` or ``dist-packages`` folder (an AWS Lambda layer's ``python/lib/python3.X/
  site-packages``, a container image's), ``python/`` of a Lambda layer, ``<name>.data/platlib`` and
  ``purelib`` of a wheel. A path that is no dotted name (a folder named ``lib-dynload``) is imported by its
  bare name with its own folder on ``sys.path``;
* a ``library`` (another file needs it), ``ctypes`` or ``plugin`` file is loaded with ``ctypes.CDLL`` by its
  path;
* ``program`` and ``object`` files are not loaded (a program is run; an object cannot be loaded), and nested
  artifacts (a wheel inside a zip) are not unpacked by the target: they are listed as skipped.

A bundled library is loaded alone first, by its path. One that fails alone may still load in use: it finds
its own dependencies through the file that loads it (the ``DT_RPATH`` of a loader reaches the dependencies
of dependencies, and a dependency loaded earlier by that file is matched by its ``DT_SONAME``). So the plan
also names, for each bundled library, up to :data:`MAX_THROUGH` entry points whose load pulls it in (by
``DT_NEEDED``, through other bundled libraries), and the script then loads those and asks the loader
(``RTLD_NOLOAD``) whether the library came in with them. :func:`predict` judges a file together with every
bundled library its load pulls in, as the target does.

:func:`compare` sets the target's report against abigate's prediction for a profile: a *false pass* is a
file abigate said loads and the target failed to load; a *false reject* the opposite. Either means a verdict
to fix (or a profile that does not describe the target).
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from abigate.facts import ArtifactFacts, NativeFile
from abigate.findings import Finding
from abigate.resolve import Resolution
from abigate.roles import Role, assign_roles
from abigate.rules import Severity

__all__ = [
    "PLAN_PLACEHOLDER", "REPORT_SCHEMA", "Disagreement", "Prediction", "SmokeReport", "SmokeReportError",
    "compare", "import_target", "parse_report", "plan", "predict", "render_script",
]

#: the ``schema`` of the JSON report the script prints.
REPORT_SCHEMA = "abigate.smoke/1"
#: the string literal of the template that the plan replaces.
PLAN_PLACEHOLDER = '"__ABIGATE_SMOKE_PLAN__"'
#: roles loaded with ctypes.CDLL; ``extension`` is imported; the rest are not loaded.
_CDLL_ROLES: frozenset[Role] = frozenset({"library", "ctypes", "plugin"})
_WHY_SKIPPED = {"program": "a program is run, not loaded", "object": "not a loadable file"}
#: a folder Python puts on ``sys.path`` (the last one in the path wins: a virtualenv inside an image).
_SITE = re.compile(r"^(?:.*/)?(?:site|dist)-packages/")
_WHEEL_DATA = re.compile(r"^[^/]+\.data/(?:platlib|purelib)/")


def _import_root(member: str, members: frozenset[str]) -> str:
    """The folder (relative to the artifact's root) the target puts on ``sys.path`` for *member*."""
    for pattern in (_WHEEL_DATA, _SITE):
        m = pattern.match(member)
        if m:
            return m.group(0).rstrip("/")
    if member.startswith("python/") and "python/__init__.py" not in members:
        return "python"  # an AWS Lambda layer: /opt/python is on sys.path
    return ""


def import_target(nf: NativeFile, members: frozenset[str] = frozenset()) -> tuple[str, str] | None:
    """(import root, dotted module name) under which the runtime imports the extension *nf*."""
    ext = nf.extension
    if ext is None:
        return None
    root = _import_root(nf.member, members)
    rel = nf.member[len(root) + 1:] if root else nf.member
    folders = rel.split("/")[:-1]
    parts = folders if ext.module == "__init__" else [*folders, ext.module]
    if parts and all(p.isidentifier() for p in parts):
        return root, ".".join(parts)
    # Not importable as a dotted name from the root: by its bare name from its own folder.
    own = posixpath.dirname(nf.member)
    if ext.module == "__init__":
        return posixpath.dirname(own), posixpath.basename(own)
    return own, ext.module


#: a bundled library that does not load alone is tried through at most this many of the files that load it.
MAX_THROUGH = 3


def _loaders(facts: ArtifactFacts, roles: Mapping[str, Role]) -> dict[str, list[str]]:
    """Bundled library → the entry points (files not themselves loaded as libraries) whose load pulls it in.

    Matched by file name or ``DT_SONAME``, as :func:`abigate.roles.assign_roles` matches them; an entry that
    is an extension comes first (that is how Python code reaches a library), then by path.
    """
    by_name: dict[str, list[str]] = {}
    for nf in facts.native_files:
        if nf.elf is not None:
            by_name.setdefault(posixpath.basename(nf.member), []).append(nf.member)
            if nf.elf.soname:
                by_name.setdefault(nf.elf.soname, []).append(nf.member)
    needers: dict[str, set[str]] = {}
    for nf in facts.native_files:
        if nf.elf is not None:
            for name in nf.elf.needed:
                for member in by_name.get(name, ()):
                    if member != nf.member:
                        needers.setdefault(member, set()).add(nf.member)
    out: dict[str, list[str]] = {}
    for lib in needers:
        seen, queue, entries = {lib}, [lib], set()
        while queue:
            for needer in sorted(needers.get(queue.pop(0), ())):
                if needer in seen:
                    continue
                seen.add(needer)
                if roles.get(needer) in ("extension", "ctypes", "plugin"):
                    entries.add(needer)
                elif roles.get(needer) == "library":
                    queue.append(needer)
        out[lib] = sorted(entries, key=lambda m: (roles.get(m) != "extension", m))
    return out


def plan(facts: ArtifactFacts, name: str) -> dict[str, Any]:
    """The plan the script embeds: what to load from the unpacked *facts*, and what is skipped and why."""
    roles = assign_roles(facts)
    members = frozenset(facts.members)
    load: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    how: dict[str, dict[str, Any]] = {}
    for nf in facts.native_files:
        role = roles.get(nf.member)
        if role == "extension":
            target = import_target(nf, members)
            assert target is not None
            how[nf.member] = {"path": nf.member, "kind": role, "module": target[1], "import_root": target[0]}
        elif role in _CDLL_ROLES:
            how[nf.member] = {"path": nf.member, "kind": role, "module": None, "import_root": ""}
    loaders = _loaders(facts, roles)
    for nf in sorted(facts.native_files, key=lambda f: f.member):
        role = roles.get(nf.member)
        if nf.member in how:
            item = dict(how[nf.member])
            if role == "library":
                item["through"] = [how[m] for m in loaders.get(nf.member, [])[:MAX_THROUGH] if m in how]
            load.append(item)
        elif role is not None:
            skipped.append({"path": nf.member, "kind": role, "why": _WHY_SKIPPED[role]})
        else:
            skipped.append({"path": nf.member, "kind": nf.kind,
                            "why": nf.error or "no Linux target loads this format"})
    for nested in facts.nested:
        skipped.append({"path": nested.path, "kind": nested.kind,
                        "why": "a nested artifact: the target does not unpack it"})
    return {"artifact": {"name": name, "sha256": facts.sha256, "kind": facts.kind}, "load": load,
            "skipped": skipped}


def render_script(template: str, the_plan: Mapping[str, Any]) -> str:
    """The smoke script: *template* (``resources/smoke.py``) with *the_plan* embedded as an ASCII literal."""
    if template.count(PLAN_PLACEHOLDER) != 1:
        raise ValueError("the smoke template has no single plan placeholder")
    text = json.dumps(the_plan, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return template.replace(PLAN_PLACEHOLDER, repr(text))


# -- the target's report ------------------------------------------------------------------------------------


class SmokeReportError(ValueError):
    """The smoke report cannot be read (not JSON, not ``abigate.smoke/1``, missing fields)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SmokeResult:
    path: str
    kind: str
    ok: bool
    #: where a failure happened (``load``, ``init``, ``package``, ``missing``); ``None`` when ok.
    stage: str | None
    error: str | None

    @property
    def loaded(self) -> bool:
        """Whether the loader loaded the file (a failure in its Python initialisation comes after that)."""
        return self.ok or self.stage in ("init", "package")


@dataclass(frozen=True, slots=True, kw_only=True)
class SmokeReport:
    """The part of the script's JSON report that :func:`compare` reads."""

    sha256: str | None
    name: str
    python: str
    results: tuple[SmokeResult, ...]


def parse_report(text: str) -> SmokeReport:
    """Read the JSON the smoke script printed; :class:`SmokeReportError` with one line when it is not that."""
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise SmokeReportError(f"not JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("schema") != REPORT_SCHEMA:
        found = doc.get("schema") if isinstance(doc, dict) else None
        raise SmokeReportError(f"not an abigate smoke report (schema {found!r}, expected {REPORT_SCHEMA})")
    try:
        art = doc["artifact"]
        py = doc["python"]
        version = str(py["version"]).split(".")
        python = f"{version[0]}.{version[1]}{'t' if py.get('free_threaded') else ''}"
        results = tuple(SmokeResult(path=str(r["path"]), kind=str(r["kind"]), ok=bool(r["ok"]),
                                    stage=r.get("stage", None if r["ok"] else "load"),
                                    error=None if r["error"] is None else str(r["error"]))
                        for r in doc["results"])
        return SmokeReport(sha256=art.get("sha256"), name=str(art.get("name", "")), python=python,
                           results=results)
    except (KeyError, TypeError, IndexError, AttributeError) as exc:
        raise SmokeReportError(f"a field is missing or malformed ({type(exc).__name__}: {exc})") from None


# -- abigate's prediction and the comparison ---------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Prediction:
    """abigate's verdict for one planned file: fails when it, or a bundled library its load pulls in, has
    an error finding that counts against the gate."""

    fails: bool
    #: ``ABG201 on lib/libfoo.so: needs GLIBC_2.41 …``, one per failing finding of the load.
    reasons: tuple[str, ...]


def _closure(member: str, resolution: Resolution) -> list[str]:
    """*member* and every bundled file its load pulls in, in the order found."""
    seen = [member]
    queue = [member]
    while queue:
        current = queue.pop(0)
        for res in resolution.for_file(current):
            if res.kind == "bundled" and res.member is not None and res.member not in seen:
                seen.append(res.member)
                queue.append(res.member)
    return seen


def predict(facts: ArtifactFacts, findings: Sequence[Finding], resolution: Resolution,
            fail_on: Severity = Severity.ERROR) -> dict[str, Prediction]:
    """Member → abigate's prediction, for every native file of the top-level artifact (not nested ones)."""
    by_path = {nf.path: nf.member for nf in facts.native_files}
    failing: dict[str, list[str]] = {}
    for f in findings:
        member = by_path.get(f.path)
        if member is not None and f.counts_against(fail_on):
            failing.setdefault(member, []).append(f"{f.code} on {member}: {f.message}")
    out = {}
    for nf in facts.native_files:
        reasons = [r for m in _closure(nf.member, resolution) for r in failing.get(m, [])]
        out[nf.member] = Prediction(fails=bool(reasons), reasons=tuple(reasons))
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Disagreement:
    """One file where the target and abigate's prediction differ."""

    path: str
    kind: str
    #: ``false pass`` (abigate: loads; target: failed), ``false reject`` (the opposite), ``not deployed``
    #: (the file was not where the artifact was unpacked), or ``python error``: the file loaded, as abigate
    #: predicted, and Python code failed afterwards (a missing pure-Python dependency): no disagreement
    #: about loading, but a failure on the target all the same.
    what: str

    @property
    def counts(self) -> bool:
        """Whether this makes ``--compare`` fail: everything but a ``python error``."""
        return self.what != "python error"
    #: the target's own error, or abigate's reasons.
    detail: str


def compare(report: SmokeReport, prediction: Mapping[str, Prediction]) -> tuple[list[Disagreement], int]:
    """(every disagreement, number of files compared), in the report's order."""
    out = []
    compared = 0
    for r in report.results:
        pred = prediction.get(r.path)
        if pred is None:
            out.append(Disagreement(path=r.path, kind=r.kind, what="not in the artifact",
                                    detail="the report names a file abigate did not find in the artifact"))
            continue
        if r.stage == "missing":
            out.append(Disagreement(path=r.path, kind=r.kind, what="not deployed", detail=str(r.error)))
            continue
        compared += 1
        if pred.fails and r.loaded:
            predicted = "; ".join(pred.reasons)
            out.append(Disagreement(path=r.path, kind=r.kind, what="false reject",
                                    detail=f"loaded on the target; abigate predicted: {predicted}"))
        elif not pred.fails and not r.loaded:
            out.append(Disagreement(path=r.path, kind=r.kind, what="false pass",
                                    detail=f"abigate predicted it loads; the target said: {r.error}"))
        elif not r.ok and r.loaded:
            where = "its module initialisation" if r.stage == "init" else "its package's code"
            out.append(Disagreement(path=r.path, kind=r.kind, what="python error",
                                    detail=f"loaded as predicted, then {where} failed: {r.error}"))
    return out, compared
