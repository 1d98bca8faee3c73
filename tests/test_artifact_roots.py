"""The ``artifact_roots`` profile field: validation, schema, inheritance, rendering and diff.

How resolution uses it (which folders of a deploy zip the loader searches) is tested in ``test_resolve.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jsonschema
import pytest

from abigate._records import replace
from abigate.errors import ProfileError
from abigate.profilediff import diff_profiles, render_diff_text
from abigate.profiles import load_profile, parse_profile_text, profile_to_mapping, profile_to_toml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - 3.10 only
    import tomli as tomllib

SCHEMA = json.loads(
    (Path(__file__).parents[1] / "src" / "abigate" / "resources" / "profile.schema.json").read_text(encoding="utf-8")
)

BASE = """\
id = "fn"
kind = "runtime"
arch = "x86_64"
library_paths = ["/lib64", "/srv/app/lib"]
[libc]
family = "glibc"
version = "2.34"
[libraries."ld-linux-x86-64.so.2"]
derive = "glibc"
"""


def test_absolute_roots_load_in_order() -> None:
    p = parse_profile_text(BASE.replace('kind = "runtime"\n', 'kind = "runtime"\nartifact_roots = ["/srv/app", "/opt"]\n'))
    assert p.artifact_roots == ("/srv/app", "/opt")


def test_missing_field_means_no_roots() -> None:
    assert parse_profile_text(BASE).artifact_roots == ()


@pytest.mark.parametrize("value", ['["srv/app"]', '"/srv/app"', "[1]", '["/ok", "relative"]'])
def test_relative_paths_and_wrong_types_are_rejected_with_the_line(value: str) -> None:
    text = BASE.replace('kind = "runtime"\n', f'kind = "runtime"\nartifact_roots = {value}\n')
    with pytest.raises(ProfileError) as info:
        parse_profile_text(text, "fn.toml")
    (problem,) = info.value.problems
    assert problem.startswith("artifact_roots (line 3): must be a list of absolute paths"), problem


def test_schema_accepts_roots_and_rejects_relative_ones() -> None:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    good = tomllib.loads('artifact_roots = ["/var/task"]\n' + BASE)
    assert not list(validator.iter_errors(good))
    bad = tomllib.loads('artifact_roots = ["var/task"]\n' + BASE)
    assert list(validator.iter_errors(bad))


def test_roots_are_inherited_and_can_be_cleared(tmp_path: Path) -> None:
    child = tmp_path / "child.toml"
    child.write_text('id = "child"\nextends = "aws-lambda-python3.12-arm64"\n', encoding="utf-8")
    assert load_profile(str(child)).artifact_roots == ("/var/task", "/opt")
    child.write_text('id = "child"\nextends = "aws-lambda-python3.12-arm64"\nartifact_roots = []\n', encoding="utf-8")
    assert load_profile(str(child)).artifact_roots == ()


def test_rendered_toml_keeps_the_roots() -> None:
    lam = load_profile("aws-lambda-python3.13-x86_64")
    assert profile_to_mapping(lam)["artifact_roots"] == ["/var/task", "/opt"]
    again = parse_profile_text(profile_to_toml(lam), "shown")
    assert again.artifact_roots == lam.artifact_roots
    # Profiles without roots do not grow an empty field.
    assert "artifact_roots" not in profile_to_mapping(load_profile("debian-12"))


def test_builtin_lambda_roots_cite_their_source() -> None:
    lam = load_profile("aws-lambda-python3.11-arm64")
    prov = lam.provenance["artifact_roots"]
    assert prov.confidence == "documented" and "A4" in prov.sources
    # runtimes.md names no unpack directory for Azure Functions: left unset rather than guessed.
    assert load_profile("azure-functions-python3.12").artifact_roots == ()


def test_diff_names_a_change_of_roots() -> None:
    lam = load_profile("aws-lambda-python3.12-x86_64")
    moved = replace(lam, id="moved", artifact_roots=("/srv/app",))
    diff = diff_profiles(lam, moved)
    assert diff["fields"]["artifact_roots"] == {"from": ["/var/task", "/opt"], "to": ["/srv/app"]}
    assert "  artifact_roots: /var/task, /opt -> /srv/app" in render_diff_text(diff).splitlines()
    assert "artifact_roots" not in diff_profiles(lam, replace(lam, id="same"))["fields"]
