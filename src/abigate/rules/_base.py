"""The rule model: what a rule is, what it yields, and what it is given. Pure, no I/O.

A rule is one object carrying everything about one check: its stable code (``ABG201``), a kebab-case
slug (``missing-symbol-version``), its family (the hundreds digit of the code), a default severity, a
docstring with fixed sections (the documentation ``abigate rules CODE`` prints and ``docs/rules.md`` is
generated from) and the check function. Nothing has to be kept in sync elsewhere.

A check function is pure: given a :class:`Context` (the artifact's facts, the target profile, and the
DT_NEEDED resolution computed once for both) it yields :class:`Violation` records. It never names its own
code or severity: ``evaluate.py`` stamps those, so a rule cannot emit the wrong code.
"""

from __future__ import annotations

import enum
import inspect
import re
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Literal

from abigate._records import Record, field
from abigate.facts import ArtifactFacts, NativeFile
from abigate.profile import Profile

if TYPE_CHECKING:  # pragma: no cover
    from abigate.resolve import Resolution

__all__ = [
    "FAMILIES",
    "ArtifactCheck",
    "Context",
    "FileCheck",
    "Rule",
    "Scope",
    "Severity",
    "Violation",
    "rule",
]


class Severity(str, enum.Enum):
    """How bad a finding is. Errors fail the gate by default; ``--fail-on warning`` also fails on warnings."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """3 for errors, 2 for warnings, 1 for information: larger is worse."""
        return _RANK[self.value]

    @classmethod
    def parse(cls, text: str) -> Severity:
        """``"error"`` → :attr:`ERROR`; raises :class:`ValueError` for anything else."""
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise ValueError(f"unknown severity {text!r} (use error, warning or info)") from None

    def __str__(self) -> str:
        return self.value


_RANK = {"error": 3, "warning": 2, "info": 1}

#: family name per hundreds digit of a code: never renumbered.
FAMILIES = {
    "0": "artifact",
    "1": "binary",
    "2": "versions",
    "3": "python",
    "4": "libraries",
    "5": "limits",
}

#: ``file`` rules run once per native file of each (nested) artifact; ``artifact`` rules once per artifact.
Scope = Literal["file", "artifact"]


class Violation(Record):
    """One problem a check found, before ``evaluate`` stamps the rule's code, severity and location.

    ``message`` says what is wrong, with the values; ``hint`` says what to do (ruff's split between the
    violation message and the fix title).
    """

    message: str
    hint: str
    #: extra lines for people (``GLIBC_2.34: pthread_create, dlopen``), shown under the message.
    details: tuple[str, ...] = ()
    #: display path of what is wrong; defaults to the native file (file rules) or the artifact.
    path: str | None = None
    #: member path inside the innermost container; defaults like ``path``.
    member: str | None = None
    #: ``name==version`` of the distribution the file belongs to; defaults to the file's.
    distribution: str | None = None
    #: the library the problem is about (``libc.so.6``).
    library: str | None = None
    #: version nodes involved (``GLIBC_2.33``…), in the order the file lists them.
    versions: tuple[str, ...] = ()
    #: symbols involved, sorted.
    symbols: tuple[str, ...] = ()
    #: a per-case severity (documented in the rule); ``None`` uses the rule's default.
    severity: Severity | None = None
    #: the error the target's loader or interpreter would print, when it can be predicted.
    loader_message: str | None = None


class Context(Record):
    """What every check may read: one (possibly nested) artifact, the target, and derived views."""

    #: the container being checked (the top-level artifact or a nested wheel/zip).
    artifact: ArtifactFacts
    #: the artifact given on the command line (same as ``artifact`` unless nested).
    root: ArtifactFacts
    profile: Profile
    #: DT_NEEDED resolution inside ``artifact`` for ``profile`` (see ``abigate.resolve``).
    resolution: Resolution
    #: other profiles a finding may name as "would work there" (built-in profiles), never the host.
    alternatives: Sequence[Profile] = ()
    #: native files by member path, for rules that look at a file's providers.
    files: dict[str, NativeFile] = field(default_factory=dict)
    #: what a rule worked out once for this artifact and profile and may reuse for another file (the
    #: "satisfied by" hint of one library's version nodes: 20,000 files needing the same nodes, one answer).
    memo: dict[object, object] = field(default_factory=dict)


FileCheck = Callable[[Context, NativeFile], Iterable[Violation]]
ArtifactCheck = Callable[[Context], Iterable[Violation]]
CheckFn = FileCheck | ArtifactCheck


#: sections every rule docstring has, in this order (after ruff's rule pages).
DOC_SECTIONS = ("What it checks", "Why it matters", "Example", "How to fix", "References")

_CODE_RE = re.compile(r"^ABG\d{3}$")
_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class Rule(Record):
    """One check: identity, default severity, documentation and the pure check function."""

    code: str
    slug: str
    severity: Severity
    scope: Scope
    #: preconditions on a file, resolved by ``evaluate``: ``elf`` (the file parsed as ELF), ``target``
    #: (and matches the target's class, machine and byte order), ``libc`` (and is not of the other libc).
    #: A file failing one is skipped, so a wrong-architecture file yields one finding, not twenty.
    needs: frozenset[str]
    check: CheckFn
    #: the docstring, dedented.
    doc: str

    @property
    def family(self) -> str:
        """``artifact``, ``binary``, ``versions``, ``python``, ``libraries`` or ``limits``."""
        return FAMILIES[self.code[3]]

    @property
    def title(self) -> str:
        """The first docstring line."""
        return self.doc.splitlines()[0].strip()

    def section(self, name: str) -> str:
        """The text of one docstring section (``What it checks``…), dedented; ``""`` if absent."""
        return _sections(self.doc).get(name, "")

    def sections(self) -> dict[str, str]:
        """All docstring sections in order."""
        return _sections(self.doc)


def _sections(doc: str) -> dict[str, str]:
    out: dict[str, str] = {}
    current: str | None = None
    lines: list[str] = []
    for line in doc.splitlines()[1:]:
        stripped = line.strip()
        if stripped.endswith(":") and stripped[:-1] in DOC_SECTIONS and not line.startswith(" "):
            if current is not None:
                out[current] = "\n".join(lines).strip("\n")
            current, lines = stripped[:-1], []
        elif current is not None:
            lines.append(line)
    if current is not None:
        out[current] = "\n".join(lines).strip("\n")
    return out


def rule(
    code: str,
    slug: str,
    *,
    severity: Severity,
    scope: Scope = "file",
    needs: Iterable[str] = (),
) -> Callable[[CheckFn], Rule]:
    """Decorator that turns a documented check function into a :class:`Rule` (it does not register it).

    Registration is the explicit ``RULES`` tuple in ``abigate.rules``, so the catalogue is greppable and a
    rule cannot appear twice by import side effect.
    """
    if not _CODE_RE.match(code):
        raise ValueError(f"rule code {code!r} is not ABG + 3 digits")
    if not _SLUG_RE.match(slug):
        raise ValueError(f"rule slug {slug!r} is not kebab-case")

    def build(fn: CheckFn) -> Rule:
        doc = inspect.cleandoc(fn.__doc__ or "")
        if not doc:
            raise ValueError(f"rule {code} has no docstring")
        return Rule(
            code=code, slug=slug, severity=severity, scope=scope, needs=frozenset(needs), check=fn, doc=doc
        )

    return build
