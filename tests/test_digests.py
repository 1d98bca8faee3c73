"""sha256 of artifacts and resolved profiles in ``abigate check`` reports (issue 9, part 5).

The artifact digest must be ``sha256sum``'s, whatever way the bytes arrived (a path, standard input);
the profile digest must follow the *resolved* profile: a change in an ``extends`` parent or a ``--python``
choice changes it, moving the file or editing its documentation (sources, provenance) does not.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from abigate.digests import canonical_json, profile_digest, rule_catalogue, rule_catalogue_digest
from abigate.profiles import load_profile

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "src" / "abigate" / "resources" / "check.schema.json")
                    .read_text(encoding="utf-8"))
LIB = ROOT / "testdata" / "elf" / "glibc" / "v2_17.so"


def abigate(*args: str, stdin: bytes | None = None,
            cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "abigate", *args], input=stdin, capture_output=True,
                          cwd=cwd, timeout=120, check=False)


def check_json(*args: str, stdin: bytes | None = None) -> dict[str, Any]:
    run = abigate("check", *args, "--no-config", "--format", "json", stdin=stdin)
    assert run.returncode in (0, 1), run.stderr
    doc: dict[str, Any] = json.loads(run.stdout)
    jsonschema.validate(doc, SCHEMA)
    return doc


@pytest.fixture()
def deploy_zip(tmp_path: Path) -> Path:
    import zipfile

    path = tmp_path / "function.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(LIB, "lib/libv217.so")
        zf.writestr("handler.py", "def handler(event, context):\n    return 1\n")
    return path


def test_artifact_digest_is_sha256sum_of_the_file_and_of_stdin(deploy_zip: Path, tmp_path: Path) -> None:
    expected = hashlib.sha256(deploy_zip.read_bytes()).hexdigest()
    by_path = check_json(str(deploy_zip), "-p", "debian-12")
    assert by_path["schema"] == "abigate.check/2"
    assert by_path["artifacts"][0]["sha256"] == expected
    piped = check_json("-", "-p", "debian-12", stdin=deploy_zip.read_bytes())
    assert piped["artifacts"][0]["sha256"] == expected
    # /dev/stdin (standard input by name; any other FIFO is refused, issue 11) is hashed as it is read
    if Path("/dev/stdin").exists():
        via_name = check_json("/dev/stdin", "-p", "debian-12", stdin=deploy_zip.read_bytes())
        assert via_name["artifacts"][0]["sha256"] == expected
    # a folder has no single byte stream: no digest, said as null
    folder = tmp_path / "folder"
    folder.mkdir()
    shutil.copy(LIB, folder / "libv217.so")
    assert check_json(str(folder), "-p", "debian-12")["artifacts"][0]["sha256"] is None


def test_verbose_text_prints_both_digests(deploy_zip: Path) -> None:
    run = abigate("check", str(deploy_zip), "-p", "debian-12", "--no-config", "-v")
    lines = run.stdout.decode().splitlines()
    assert f"  sha256: {hashlib.sha256(deploy_zip.read_bytes()).hexdigest()}" in lines
    assert f"  sha256: {profile_digest(load_profile('debian-12'))}" in lines


def test_profile_digest_follows_the_resolved_profile(tmp_path: Path, deploy_zip: Path) -> None:
    parent = tmp_path / "base.toml"
    child = tmp_path / "child.toml"
    parent.write_text('schema = 1\nid = "base"\ntitle = "base"\nkind = "os"\nextends = "debian-12"\n',
                      encoding="utf-8")
    child.write_text('schema = 1\nid = "child"\ntitle = "child"\nkind = "runtime"\nextends = "base.toml"\n',
                     encoding="utf-8")
    first = profile_digest(load_profile(str(child)))
    # the same profile read from another folder: same digest (the path is not part of it)
    moved = tmp_path / "moved"
    moved.mkdir()
    shutil.copy(parent, moved / "base.toml")
    shutil.copy(child, moved / "child.toml")
    assert profile_digest(load_profile(str(moved / "child.toml"))) == first
    # documentation only: no rule reads sources or provenance
    with parent.open("a", encoding="utf-8") as fh:
        fh.write('[sources]\nX1 = { url = "https://example.org/base" }\n')
    assert profile_digest(load_profile(str(child))) == first
    # a fact changed in the parent changes the child's digest
    with parent.open("a", encoding="utf-8") as fh:
        fh.write('[libraries."libextra.so.1"]\nversions = []\n')
    changed = profile_digest(load_profile(str(child)))
    assert changed != first
    # and the report carries exactly that digest
    doc = check_json(str(deploy_zip), "-p", str(child))
    assert doc["profiles"][0]["sha256"] == changed


def test_python_choice_is_part_of_the_resolved_profile(deploy_zip: Path) -> None:
    digests = {py: check_json(str(deploy_zip), "-p", "manylinux_2_28_x86_64", "--python", py)["profiles"][0]
               ["sha256"] for py in ("3.11", "3.12")}
    assert digests["3.11"] != digests["3.12"]


def test_profile_digest_is_sha256_of_canonical_json_without_documentation() -> None:
    from abigate.profiles import profile_to_mapping

    prof = load_profile("aws-lambda-python3.12-arm64")
    data = profile_to_mapping(prof)
    data.pop("sources")
    data.pop("provenance")
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert profile_digest(prof) == hashlib.sha256(text).hexdigest()


def test_rule_catalogue_digest_covers_code_severity_and_title() -> None:
    from abigate.rules import RULES

    listed = rule_catalogue()
    assert [r["code"] for r in listed] == [r.code for r in RULES]
    assert rule_catalogue_digest() == hashlib.sha256(canonical_json(listed)).hexdigest()
    regraded = [dict(r, severity="warning" if r["code"] == "ABG201" else r["severity"]) for r in listed]
    assert hashlib.sha256(canonical_json(regraded)).hexdigest() != rule_catalogue_digest()
