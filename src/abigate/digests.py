"""sha256 digests that tie a verdict to exactly what was judged: the artifact, each profile, the rules.

A verdict is only worth carrying to a later pipeline stage if that stage can tell it is about the same bytes,
judged against the same target by the same rules. Three digests make that checkable
(``docs/deploy-contract.md`` defines them for users):

* **artifact** — sha256 of the file's bytes, exactly as ``sha256sum`` prints it. For standard input (and
  other pipes), the bytes read; for a folder, none (a folder has no single byte stream: attest the archive
  that is deployed). :func:`file_sha256` reads a file once, right after the scan (see there why not
  during it); standard input is hashed while it is spooled, never read twice.
* **profile** — sha256 of the *resolved* profile's canonical serialisation (:func:`canonical_json` of
  :func:`abigate.profiles.profile_to_mapping` without ``sources`` and ``provenance``, which only document
  where facts came from and are read by no rule). Because it is taken after ``extends`` is applied, a change
  in a parent profile, in a ``--python`` choice, or in the built-in profiles of a new abigate release changes
  it; where the profile was read from (its path) does not.
* **rule catalogue** — sha256 of the canonical list of every rule's code, default severity and title.

Canonical JSON here means: UTF-8, keys sorted, no insignificant whitespace (``separators=(",", ":")``),
non-ASCII characters written as themselves. Pure apart from :func:`file_sha256`, which reads the file.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import TYPE_CHECKING, Any, BinaryIO

if TYPE_CHECKING:
    from abigate.profile import Profile

__all__ = [
    "PROFILE_DIGEST_EXCLUDES", "canonical_json", "file_sha256", "profile_digest", "rule_catalogue",
    "rule_catalogue_digest", "sha256_hex",
]

#: keys of the profile mapping left out of its digest: documentation of the facts, not facts.
PROFILE_DIGEST_EXCLUDES = ("sources", "provenance")
#: bytes read per step while hashing a file.
_CHUNK = 1 << 20


def canonical_json(data: Any) -> bytes:
    """*data* as canonical JSON bytes: sorted keys, no spaces, UTF-8 (see the module docstring)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    """Lower-case hex sha256 of *data*."""
    return hashlib.sha256(data).hexdigest()


def profile_digest(profile: Profile) -> str:
    """The sha256 of the resolved *profile* (see the module docstring for what is and is not included)."""
    from abigate.profiles import profile_to_mapping

    data = profile_to_mapping(profile)
    for key in PROFILE_DIGEST_EXCLUDES:
        data.pop(key, None)
    return sha256_hex(canonical_json(data))


def rule_catalogue() -> list[dict[str, str]]:
    """Every rule's code, default severity and title, in code order: what the catalogue digest covers."""
    from abigate.rules import RULES

    return [{"code": r.code, "severity": r.severity.value, "title": r.title} for r in RULES]


def rule_catalogue_digest() -> str:
    """sha256 of :func:`rule_catalogue` as canonical JSON: it changes when a rule is added, regraded or
    renamed."""
    return sha256_hex(canonical_json(rule_catalogue()))


def file_sha256(fh: BinaryIO) -> str:
    """sha256 of the whole file open as *fh* (from offset 0, with ``pread``: *fh*'s position is left alone).

    The scan reads only what it needs of an archive (a zip's directory and its native members), so the
    digest needs one sequential pass of its own; it runs after the scan, when most of the file is in the page
    cache. It is not run on a thread alongside the scan because the scan may fork worker processes, and
    forking a process with a running thread is unsafe (and deprecated since Python 3.12). Opening *fh* before
    the scan pins the digest to the file that was judged, even if the path is replaced meanwhile.
    """
    h = hashlib.sha256()
    fd = fh.fileno()
    offset = 0
    while True:
        chunk = os.pread(fd, _CHUNK, offset)
        if not chunk:
            return h.hexdigest()
        h.update(chunk)
        offset += len(chunk)
