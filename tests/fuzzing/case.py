"""One fuzz input: the files written for it, the command a user would run, and what the docs allow."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ARTIFACT_EXITS", "INPUT_EXITS", "Case"]

#: an artifact that abigate reads: 0 compatible, 1 incompatible or unreadable (a finding), 2 when there is
#: nothing to check at all (an empty zip, a FIFO, a path that is not a regular file) — one line on stderr.
ARTIFACT_EXITS = frozenset({0, 1, 2})
#: a profile, configuration, root filesystem or option value: accepted (0, or 0/1 for a check that then
#: judges an artifact) or a one-line usage error (2).
INPUT_EXITS = frozenset({0, 1, 2})


@dataclass
class Case:
    """A command to run on a generated input, and how to judge its outcome.

    ``argv`` is what follows ``abigate`` on the command line; paths in it are absolute or relative to
    ``cwd`` (the case's own folder). ``outputs`` names the paths the command may write (its ``-o`` file);
    anything else it creates or modifies is a "write" finding. ``validate`` names a profile the command wrote
    that ``abigate profile validate`` must then accept (profiles abigate writes always validate).
    """

    family: str
    kind: str
    argv: list[str]
    cwd: str
    allowed: frozenset[int] = ARTIFACT_EXITS
    outputs: list[str] = field(default_factory=list)
    validate: str | None = None
    note: str = ""
