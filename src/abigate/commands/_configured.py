"""The artifacts ``abigate check`` checks when given none: ``artifacts = [...]`` in ``[tool.abigate]``.

This is what makes the pre-commit hook fire: built artifacts live in ignored folders (``dist/``, ``build/``),
so pre-commit passes the hook no file names; the hook runs ``abigate check`` alone and the configuration
says what to check. The globs are taken from the folder of the configuration file, not from the working
directory, so the hook checks the same files from anywhere in the repository.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

from abigate.config import Config
from abigate.errors import UsageError

__all__ = ["NO_ARTIFACT", "configured_artifacts"]

#: the message of ``abigate check`` with no argument and no ``artifacts`` key.
NO_ARTIFACT = (
    "nothing to check: name the artifacts (abigate check dist/*.whl) or list their globs in "
    '[tool.abigate] artifacts = ["dist/*.whl"] (see docs/configuration.md)'
)


def _display(path: str, cwd: str) -> str:
    """*path* relative to *cwd* when it lies below it (as a user would have typed it), else absolute."""
    rel = os.path.relpath(path, cwd)
    return path if rel == os.pardir or rel.startswith(os.pardir + os.sep) else rel


def configured_artifacts(config: Config, cwd: Path | None = None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the paths ``artifacts`` names, sorted and without duplicates; a note per glob that matched nothing).

    Raises :class:`UsageError` (exit 2) when the key is missing or no glob matched anything: a gate that
    checks nothing must not pass. A glob that matched nothing while others matched is a note, not an
    error, so that ``["dist/*.whl", "build/function.zip"]`` serves a project that builds only one of them.
    """
    if not config.artifacts:
        raise UsageError(NO_ARTIFACT)
    where = config.source or "pyproject.toml"
    folder = os.path.dirname(os.path.abspath(where))
    here = str(cwd or Path.cwd())
    found: dict[str, None] = {}
    unmatched = []
    for pattern in config.artifacts:
        matches = glob.glob(pattern, root_dir=folder, recursive=True)
        if not matches:
            unmatched.append(pattern)
        for match in matches:
            found[os.path.normpath(os.path.join(folder, match))] = None
    if not found:
        globs = ", ".join(repr(p) for p in unmatched)
        raise UsageError(
            f"{where}: artifacts: nothing matches {globs} (relative to {folder}); "
            "build the artifacts first or name them on the command line"
        )
    notes = tuple(f"{where}: artifacts: {p!r} matched nothing" for p in unmatched)
    return tuple(sorted(_display(p, here) for p in found)), notes
