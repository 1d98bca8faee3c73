"""The I/O half of the deploy contract for ``check --attest``: clock, file, refusing what has no digest.

:mod:`abigate.attest` builds the statement from the report; this module supplies what a pure function must
not fetch itself (the time, how each profile was named) and writes the file like ``--output`` does.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from abigate.errors import UsageError

if TYPE_CHECKING:
    from abigate.evaluate import Selection
    from abigate.findings import Report
    from abigate.profile import Profile

__all__ = ["attestation_time", "refuse_folders", "write_attestation"]


def refuse_folders(artifacts: Sequence[str]) -> None:
    """Exit 2 before any scan when an artifact is a folder: a folder has no digest a later stage can check."""
    for item in artifacts:
        if os.path.isdir(item):
            raise UsageError(f"--attest: {item} is a folder, which has no single sha256; attest the archive "
                             "that is deployed (zip or tar it, then check that file)")


def attestation_time() -> datetime:
    """Now, or ``SOURCE_DATE_EPOCH`` when set (reproducible builds fix every timestamp with it)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
        except (ValueError, OverflowError, OSError):
            raise UsageError(f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds since 1970") from None
    return datetime.now(tz=timezone.utc)


def write_attestation(path: str, report: Report, loaded: Sequence[Profile], named: Sequence[str],
                      python: str | None, selection: Selection) -> None:
    """Write the statement for *report* to *path*, atomically and with the mode ``>`` would give it.

    :param loaded: the resolved profiles, in the order of ``dict.fromkeys(named)``.
    :param named: the ``--profile`` values as given (``image`` for the image's own base).
    """
    from abigate.attest import ProfileSource, build_statement, render_statement
    from abigate.commands.scan import write_atomically

    names = list(dict.fromkeys(named))
    if len(names) != len(loaded):  # --profile image: one profile from the image itself
        names = [names[0]] * len(loaded)
    sources = [ProfileSource(id=p.id, source=name, python=python)
               for p, name in zip(loaded, names, strict=True)]
    statement = build_statement(report, sources, waivers=selection.waivers, today=selection.today,
                                moment=attestation_time())
    write_atomically(path, render_statement(statement), option="--attest")
