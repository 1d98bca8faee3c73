"""``abigate verify ARTIFACT --attestation FILE [--profile ID…]``: may this artifact go on to this stage?

The deploy half of the contract that ``abigate check --attest`` writes at build time (``docs/
deploy-contract.md``). Nothing is scanned again: the artifact's sha256 must match a subject of the
attestation, every profile asked for (default: every attested one) must have been attested PASS for it, and
each must still resolve, here and now, to the profile digest that was attested. A profile that changed since
(a new abigate release with updated built-ins, an edited profile file or parent) means the verdict is about
another target: exit 1, "re-check".

Exit status: 0 verified; 1 not verified (each reason printed); 2 usage error, unreadable or malformed
attestation, a profile that cannot be resolved here.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from abigate.errors import AbigateError, UsageError

if TYPE_CHECKING:
    from abigate.attest import AttestedProfile

__all__ = ["artifact_digest", "verify"]


def artifact_digest(path: str) -> str:
    """sha256 of the artifact's bytes (``-``: standard input), read once in chunks; exit 2 if unreadable."""
    from abigate.digests import file_sha256

    if path == "-":
        h = hashlib.sha256()
        while chunk := sys.stdin.buffer.read(1 << 20):
            h.update(chunk)
        return h.hexdigest()
    if os.path.isdir(path):
        raise UsageError(f"{path}: a folder has no single sha256; verify the archive that was checked")
    try:
        with open(path, "rb") as fh:
            return file_sha256(fh)
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror or exc}") from None


def _current_digests(artifact: str, attested: Sequence[AttestedProfile], wanted: Sequence[str],
                     given_files: dict[str, str]) -> dict[str, str | None]:
    """Profile id → the digest it resolves to now, resolved the way the check named it."""
    from abigate.digests import profile_digest
    from abigate.profiles import load_profile, with_python

    out: dict[str, str | None] = {}
    for prof in attested:
        if prof.id not in wanted:
            continue
        source = given_files.get(prof.id, prof.source)
        try:
            if source == "image":
                from abigate.commands.check import _image_runtime

                resolved = _image_runtime(["image"], [artifact])
            else:
                resolved = load_profile(source)
            if prof.python:
                resolved = with_python(resolved, prof.python)
        except AbigateError as exc:
            hint = "" if prof.id in given_files else f" (pass --profile FILE if {source} lies elsewhere here)"
            raise UsageError(f"profile {prof.id}: cannot be resolved as attested: {exc}{hint}") from None
        out[prof.id] = profile_digest(resolved)
    return out


def _wanted_ids(named: Sequence[str],
                attested: Sequence[AttestedProfile]) -> tuple[list[str], dict[str, str]]:
    """The attested ids *named* means, and id → file for those named by a profile file path.

    A name matches an attested id, or the ``--profile`` value the check was given; otherwise it is loaded
    (a built-in alias like ``aws-lambda-python3.12`` or a profile file) and its id is used.
    """
    from abigate.profiles import load_profile
    from abigate.profiles._resolve import looks_like_path

    ids: list[str] = []
    files: dict[str, str] = {}
    for name in named:
        match = next((p.id for p in attested if name in (p.id, p.source)), None)
        if match is None or looks_like_path(name):
            loaded = load_profile(name)
            match = loaded.id
            if looks_like_path(name):
                files[match] = name
        if match not in ids:
            ids.append(match)
    return ids, files


@click.command()
@click.argument("artifact", metavar="ARTIFACT")
@click.option("--attestation", "attestation", required=True, metavar="FILE",
              help="The statement `abigate check --attest` wrote (or the DSSE envelope / Sigstore bundle "
              "`cosign attest-blob` made of it).")
@click.option("--profile", "-p", "profiles", multiple=True, metavar="ID_OR_FILE",
              help="Require this profile (repeatable): attested PASS and unchanged. Default: every attested "
              "profile. A file here is read instead of the path recorded at check time.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people, json for tools (schema abigate.verify/1).")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing when verified; only the reasons otherwise.")
@click.option("--debug", is_flag=True, help="Show the Python traceback of an internal error.")
def verify(artifact: str, attestation: str, profiles: tuple[str, ...], fmt: str, quiet: bool,
           debug: bool) -> None:
    """Verify that ARTIFACT is what `abigate check --attest` judged, and that it passed.

    Exit 0 only when ARTIFACT's sha256 matches a subject of the attestation, every profile (--profile, else
    every attested one) was attested PASS for it, and each profile still resolves to the attested profile
    digest. A profile changed since the check means re-check: exit 1, with the reason. No scan is run.

    Signatures are cosign's job: verify them first with `cosign verify-blob-attestation` (see
    docs/deploy-contract.md); abigate reads the statement out of the signed envelope or bundle.

    \b
    Examples:
      abigate check function.zip -p aws-lambda-python3.12 --attest function.zip.intoto.json   (build)
      abigate verify function.zip --attestation function.zip.intoto.json                       (deploy)
      abigate verify function.zip --attestation att.json -p aws-lambda-python3.12

    Exit status: 0 verified, 1 not verified, 2 usage error or malformed attestation, 3 internal error.
    """
    from abigate.attest import AttestationError, parse_attestation
    from abigate.attest import verify as check_contract

    try:
        with open(attestation, encoding="utf-8") as fh:
            text = fh.read(64 << 20)
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--attestation {attestation}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        att = parse_attestation(text)
    except AttestationError as exc:
        raise UsageError(f"--attestation {attestation}: {exc}") from None
    wanted, files = _wanted_ids(profiles, att.profiles)
    digest = artifact_digest(artifact)
    # Other bytes need no profile resolved: that answer stands whatever the profiles say now.
    current = (_current_digests(artifact, att.profiles, wanted or [p.id for p in att.profiles], files)
               if digest in att.subjects else {})
    outcome = check_contract(att, artifact, digest, wanted, current)
    if fmt == "json":
        import json

        doc = {"schema": "abigate.verify/1", "artifact": artifact, "sha256": digest,
               "verified": outcome.ok, "subject": outcome.subject, "profiles": list(outcome.profiles),
               "reasons": list(outcome.reasons),
               "attestation": {"abigate_version": att.abigate_version, "time": att.time}}
        click.echo(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False))
        if not outcome.ok:
            raise click.exceptions.Exit(1)
        return
    if outcome.ok:
        if not quiet:
            click.echo(f"{artifact}: verified: sha256 {digest} was checked by abigate "
                       f"{att.abigate_version} at {att.time} and passed {', '.join(outcome.profiles)}, "
                       "whose profiles are unchanged")
        return
    click.echo(f"{artifact}: NOT verified:")
    for reason in outcome.reasons:
        click.echo(f"  {reason}")
    raise click.exceptions.Exit(1)
