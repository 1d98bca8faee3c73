"""The deploy contract as a pipeline runs it: ``check --attest`` at build, ``verify`` at each later stage.

Every step is the real command in a subprocess on real files, as a CI job would run it; the statement is
read back as plain JSON (not through abigate's own parser) to show it is what in-toto and cosign expect.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import subprocess
import sys
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from abigate.digests import profile_digest, rule_catalogue_digest
from abigate.profiles import load_profile

ROOT = Path(__file__).resolve().parents[1]
GOOD = ROOT / "testdata" / "elf" / "glibc" / "v2_17.so"
NEW = ROOT / "testdata" / "elf" / "glibc" / "v2_38.so"
SCHEMA = json.loads((ROOT / "src" / "abigate" / "resources" / "attestation.schema.json")
                    .read_text(encoding="utf-8"))


def abigate(*args: str, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600"}  # 2026-01-01T00:00:00Z
    return subprocess.run([sys.executable, "-m", "abigate", *args], cwd=cwd, env=env, input=stdin,
                          capture_output=True, timeout=120, check=False)


def sh(*args: str, cwd: Path) -> tuple[int, str, str]:
    run = abigate(*args, cwd=cwd)
    return run.returncode, run.stdout.decode(), run.stderr.decode()


def make_zip(path: Path, lib: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(lib, "lib/libnative.so")
        zf.writestr("handler.py", "def handler(event, context):\n    return 1\n")
    return path


@pytest.fixture()
def build(tmp_path: Path) -> Path:
    """A build folder with a good zip, a zip needing glibc 2.38, a profile file extending a built-in."""
    (tmp_path / "dist").mkdir()
    make_zip(tmp_path / "dist" / "good.zip", GOOD)
    make_zip(tmp_path / "dist" / "new.zip", NEW)
    (tmp_path / "target.toml").write_text(
        'schema = 1\nid = "our-target"\ntitle = "our target"\nkind = "runtime"\nextends = "debian-12"\n',
        encoding="utf-8")
    return tmp_path


def test_statement_is_in_toto_v1_with_every_field_the_contract_promises(build: Path) -> None:
    rc, _, err = sh("check", "dist/good.zip", "dist/new.zip", "-p", "target.toml",
                    "-p", "aws-lambda-python3.12", "--no-config", "-q", "--attest", "att.json", cwd=build)
    assert rc == 1, err  # new.zip fails on both: the statement records that too
    doc: dict[str, Any] = json.loads((build / "att.json").read_text(encoding="utf-8"))
    jsonschema.validate(doc, SCHEMA)
    assert doc["_type"] == "https://in-toto.io/Statement/v1"
    assert doc["predicateType"] == "https://abigate.dev/attestation/check/v1"
    digests = {n: hashlib.sha256((build / "dist" / n).read_bytes()).hexdigest()
               for n in ("good.zip", "new.zip")}
    assert doc["subject"] == [{"name": n, "digest": {"sha256": d}} for n, d in digests.items()]
    pred = doc["predicate"]
    assert pred["time"] == "2026-01-01T00:00:00Z"  # SOURCE_DATE_EPOCH, RFC 3339 UTC
    assert pred["rules"]["catalogue"]["sha256"] == rule_catalogue_digest()
    lambda_id = "aws-lambda-python3.12-x86_64"
    assert [(p["id"], p["source"], p["verdict"]) for p in pred["profiles"]] == [
        ("our-target", "target.toml", "fail"), (lambda_id, "aws-lambda-python3.12", "fail")]
    assert pred["profiles"][1]["digest"]["sha256"] == profile_digest(load_profile(lambda_id))
    by_name = {a["name"]: a for a in pred["artifacts"]}
    assert by_name["good.zip"]["verdicts"] == {"our-target": "pass", lambda_id: "pass"}
    assert by_name["new.zip"]["verdicts"] == {"our-target": "fail", lambda_id: "fail"}
    assert by_name["new.zip"]["findings"]["our-target"]["codes"] == {"ABG201": 1}
    assert by_name["new.zip"]["digest"]["sha256"] == digests["new.zip"]
    assert pred["verdict"] == "fail"
    # written like --output: the mode the shell's > gives (0666 less the umask), no temporary file left
    mode = stat.S_IMODE((build / "att.json").stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask
    assert sorted(p.name for p in build.iterdir()) == ["att.json", "dist", "target.toml"]


def test_waivers_applied_are_recorded_with_reason_and_expiry(build: Path) -> None:
    (build / "pyproject.toml").write_text(
        '[tool.abigate]\nprofiles = ["debian-12"]\n'
        '[[tool.abigate.waivers]]\ncode = "ABG201"\npath = "lib/libnative.so"\n'
        'reason = "loaded only on the new fleet"\nexpires = 2099-12-31\n'
        '[[tool.abigate.waivers]]\ncode = "ABG401"\nreason = "never matches"\n', encoding="utf-8")
    rc, _, err = sh("check", "dist/new.zip", "-q", "--attest", "att.json", cwd=build)
    assert rc == 0, err
    doc = json.loads((build / "att.json").read_text(encoding="utf-8"))
    jsonschema.validate(doc, SCHEMA)
    pred = doc["predicate"]
    assert pred["waivers"] == [{"code": "ABG201", "path": "lib/libnative.so", "profile": None,
                                "reason": "loaded only on the new fleet", "expires": "2099-12-31",
                                "findings": 1}]
    assert pred["artifacts"][0]["findings"]["debian-12"]["waived"] == 1
    assert pred["artifacts"][0]["verdicts"] == {"debian-12": "pass"}


def test_pipeline_build_attests_deploy_verifies(build: Path,
                                                tmp_path_factory: pytest.TempPathFactory) -> None:
    assert sh("check", "dist/good.zip", "-p", "aws-lambda-python3.12", "-p", "target.toml", "--no-config",
              "--attest", "good.intoto.json", cwd=build)[0] == 0
    # the artifact is promoted: another folder, another name on disk; the same bytes verify
    stage = tmp_path_factory.mktemp("staging")
    (stage / "function.zip").write_bytes((build / "dist" / "good.zip").read_bytes())
    (stage / "good.intoto.json").write_bytes((build / "good.intoto.json").read_bytes())
    (stage / "target.toml").write_bytes((build / "target.toml").read_bytes())
    rc, out, err = sh("verify", "function.zip", "--attestation", "good.intoto.json", cwd=stage)
    assert (rc, err) == (0, "")
    assert "verified" in out and "aws-lambda-python3.12-x86_64" in out
    # one profile named by its alias, as the check named it
    assert sh("verify", "function.zip", "--attestation", "good.intoto.json", "-p", "aws-lambda-python3.12",
              cwd=stage)[0] == 0
    assert sh("verify", "function.zip", "--attestation", "good.intoto.json", "-q", cwd=stage)[1] == ""
    # standard input works like a file
    run = abigate("verify", "-", "--attestation", "good.intoto.json", cwd=stage,
                  stdin=(stage / "function.zip").read_bytes())
    assert run.returncode == 0, run.stderr


def test_other_bytes_fail_naming_both_digests(build: Path) -> None:
    assert sh("check", "dist/good.zip", "-p", "debian-12", "--no-config", "--attest", "att.json",
              cwd=build)[0] == 0
    tampered = build / "dist" / "good.zip"
    with zipfile.ZipFile(tampered, "a") as zf:
        zf.writestr("extra.txt", "changed after the check")
    rc, out, _ = sh("verify", "dist/good.zip", "--attestation", "att.json", cwd=build)
    assert rc == 1
    attested = json.loads((build / "att.json").read_text(encoding="utf-8"))["subject"][0]["digest"]["sha256"]
    assert hashlib.sha256(tampered.read_bytes()).hexdigest() in out
    assert attested in out and "matches no subject" in out


def test_failed_verdict_and_unattested_profile_fail(build: Path) -> None:
    sh("check", "dist/new.zip", "-p", "debian-12", "--no-config", "--attest", "att.json", cwd=build)
    rc, out, _ = sh("verify", "dist/new.zip", "--attestation", "att.json", cwd=build)
    assert rc == 1 and "debian-12: attested FAIL for dist/new.zip" in out
    sh("check", "dist/good.zip", "-p", "debian-12", "--no-config", "--attest", "good.json", cwd=build)
    rc, out, _ = sh("verify", "dist/good.zip", "--attestation", "good.json", "-p", "debian-12",
                    "-p", "aws-lambda-python3.12", cwd=build)
    assert rc == 1 and "aws-lambda-python3.12-x86_64: not attested" in out


def test_a_profile_changed_since_the_check_means_recheck(build: Path) -> None:
    assert sh("check", "dist/good.zip", "-p", "target.toml", "--no-config", "--attest", "att.json",
              cwd=build)[0] == 0
    assert sh("verify", "dist/good.zip", "--attestation", "att.json", cwd=build)[0] == 0
    before = profile_digest(load_profile(str(build / "target.toml")))
    with (build / "target.toml").open("a", encoding="utf-8") as fh:
        fh.write('remove_libraries = ["libz.so.1"]\n')
    after = profile_digest(load_profile(str(build / "target.toml")))
    rc, out, _ = sh("verify", "dist/good.zip", "--attestation", "att.json", cwd=build)
    assert rc == 1
    assert f"the profile changed since the check (attested sha256 {before}, now {after})" in out
    assert "re-check" in out
    # the profile file is missing at this stage: a usage error naming the way out
    (build / "target.toml").unlink()
    rc, _, err = sh("verify", "dist/good.zip", "--attestation", "att.json", cwd=build)
    assert rc == 2 and err.count("\n") == 1 and "--profile FILE" in err


def test_the_python_choice_is_resolved_again(build: Path) -> None:
    sh("check", "dist/good.zip", "-p", "manylinux_2_28_x86_64", "--python", "3.12", "--no-config",
       "--attest", "att.json", cwd=build)
    pred = json.loads((build / "att.json").read_text(encoding="utf-8"))["predicate"]
    assert pred["profiles"][0]["python"] == "3.12"
    assert sh("verify", "dist/good.zip", "--attestation", "att.json", cwd=build)[0] == 0


@pytest.mark.parametrize("content, message", [
    ("not json", "not JSON"),
    ("[]", "not an in-toto statement"),
    ('{"_type": "https://in-toto.io/Statement/v0.1"}', "not an in-toto Statement v1"),
    ('{"_type": "https://in-toto.io/Statement/v1", "predicateType": "https://slsa.dev/provenance/v1"}',
     "not an abigate check attestation"),
    (('{"_type": "https://in-toto.io/Statement/v1",'
      ' "predicateType": "https://abigate.dev/attestation/check/v1",'
     ' "subject": [{"name": "x", "digest": {"sha256": "abc"}}], "predicate": {}}'), "64 lower-case hex"),
    ('{"payloadType": "text/plain", "payload": "e30="}', "not an in-toto statement"),
])
def test_malformed_attestation_is_one_line_exit_2(build: Path, content: str, message: str) -> None:
    (build / "bad.json").write_text(content, encoding="utf-8")
    rc, out, err = sh("verify", "dist/good.zip", "--attestation", "bad.json", cwd=build)
    assert (rc, out) == (2, "")
    assert err.count("\n") == 1 and message in err
    assert err.startswith("abigate: error: --attestation bad.json: ")


def test_statement_inside_a_dsse_envelope_or_sigstore_bundle(build: Path) -> None:
    """``cosign attest-blob`` signs a statement as a DSSE envelope, written alone or in a Sigstore bundle."""
    sh("check", "dist/good.zip", "-p", "debian-12", "--no-config", "--attest", "att.json", cwd=build)
    payload = base64.b64encode((build / "att.json").read_bytes()).decode()
    envelope = {"payloadType": "application/vnd.in-toto+json", "payload": payload,
                "signatures": [{"keyid": "", "sig": "AAAA"}]}
    (build / "envelope.json").write_text(json.dumps(envelope), encoding="utf-8")
    bundle = {"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", "verificationMaterial": {},
              "dsseEnvelope": envelope}
    (build / "bundle.sigstore.json").write_text(json.dumps(bundle), encoding="utf-8")
    for name in ("envelope.json", "bundle.sigstore.json"):
        assert sh("verify", "dist/good.zip", "--attestation", name, cwd=build)[0] == 0


def test_attest_refuses_a_folder_before_scanning(build: Path) -> None:
    rc, out, err = sh("check", "dist", "-p", "debian-12", "--no-config", "--attest", "att.json", cwd=build)
    assert (rc, out) == (2, "") and "is a folder" in err and err.count("\n") == 1
    assert not (build / "att.json").exists()


def test_attest_from_standard_input(build: Path) -> None:
    data = (build / "dist" / "good.zip").read_bytes()
    run = abigate("check", "-", "-p", "debian-12", "--no-config", "--attest", "att.json", cwd=build,
                  stdin=data)
    assert run.returncode == 0, run.stderr
    subject = json.loads((build / "att.json").read_text(encoding="utf-8"))["subject"][0]
    assert subject["digest"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert sh("verify", "dist/good.zip", "--attestation", "att.json", cwd=build)[0] == 0


def test_time_is_now_in_utc_without_source_date_epoch(build: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    before = datetime.now(timezone.utc).replace(microsecond=0)
    subprocess.run([sys.executable, "-m", "abigate", "check", "dist/good.zip", "-p", "debian-12",
                    "--no-config", "--attest", "att.json"],
                   cwd=build, env=env, capture_output=True, timeout=120, check=True)
    after = datetime.now(timezone.utc)
    stamp = json.loads((build / "att.json").read_text(encoding="utf-8"))["predicate"]["time"]
    moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert before <= moment <= after


def test_profile_digest_is_what_the_docs_say(build: Path) -> None:
    """docs/deploy-contract.md: canonical JSON of `profile show --format json` without sources/provenance."""
    rc, shown, _ = sh("profile", "show", "aws-lambda-python3.12", "--format", "json", cwd=build)
    assert rc == 0
    data = json.loads(shown)
    del data["sources"], data["provenance"]
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    rc, report, _ = sh("check", "dist/good.zip", "-p", "aws-lambda-python3.12", "--no-config",
                       "--format", "json", cwd=build)
    assert json.loads(report)["profiles"][0]["sha256"] == hashlib.sha256(canonical).hexdigest()


def test_profile_image_is_resolved_again_from_the_image(tmp_path: Path) -> None:
    """``--profile image``: the runtime is the image's base, so verify derives it from the image again."""
    from imagebuild import Item, docker_save

    elf = ROOT / "testdata" / "elf"
    libc = (elf / "rootfs/aarch64/libc.so.6").read_bytes()
    base = [Item("lib/aarch64-linux-gnu/libc.so.6", libc),
            Item("lib/ld-linux-aarch64.so.1", kind="symlink", target="/lib/aarch64-linux-gnu/libc.so.6"),
            Item("etc/os-release", b'ID=debian\nVERSION_ID="10"\n')]
    app = [Item("app/_x.so", (elf / "arch/aarch64-glibc2.17.so").read_bytes())]
    docker_save(tmp_path / "app.tar", [base, app], arch="arm64")
    rc, out, err = sh("check", "app.tar", "--profile", "image", "--no-config", "--attest", "att.json",
                      cwd=tmp_path)
    assert rc == 0, out + err
    profile = json.loads((tmp_path / "att.json").read_text(encoding="utf-8"))["predicate"]["profiles"][0]
    assert profile["source"] == "image"
    assert sh("verify", "app.tar", "--attestation", "att.json", cwd=tmp_path)[0] == 0


def test_verify_json_for_tools(build: Path) -> None:
    sh("check", "dist/good.zip", "-p", "debian-12", "--no-config", "--attest", "att.json", cwd=build)
    rc, out, _ = sh("verify", "dist/good.zip", "--attestation", "att.json", "--format", "json", cwd=build)
    doc = json.loads(out)
    digest = hashlib.sha256((build / "dist" / "good.zip").read_bytes()).hexdigest()
    assert rc == 0 and doc["schema"] == "abigate.verify/1"
    assert (doc["verified"], doc["sha256"], doc["subject"], doc["profiles"], doc["reasons"]) == (
        True, digest, "good.zip", ["debian-12"], [])
    # other bytes: exit 1, the reason in the document
    rc, out, _ = sh("verify", "dist/new.zip", "--attestation", "att.json", "--format", "json", cwd=build)
    doc = json.loads(out)
    assert rc == 1 and doc["verified"] is False and doc["subject"] is None
    assert "matches no subject" in doc["reasons"][0]
