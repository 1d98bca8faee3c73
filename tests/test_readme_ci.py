"""The README's CI set-ups work as pasted (issue 9): valid YAML, real inputs, commands that run.

The GitHub workflow may only pass inputs ``action.yml`` declares, and hand the SARIF file it asks for to
``upload-sarif``. The GitLab job's ``abigate`` lines are run as written (in a project with one incompatible
wheel) and their reports are read back with a JSON parser and a JUnit reader. The pre-commit snippet is run
by ``tests/test_precommit_hook.py``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]
from conftest import make_wheel
from junitparser import JUnitXml

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
NEW = (ROOT / "testdata/elf/glibc/v2_34.so").read_bytes()


def yaml_block(first_line: str) -> Any:
    """The README's YAML block that starts with the comment *first_line*, parsed."""
    blocks = re.findall(r"^```yaml\n(.*?)^```", README, flags=re.MULTILINE | re.DOTALL)
    found = [b for b in blocks if b.startswith(first_line + "\n")]
    assert len(found) == 1, first_line
    return yaml.safe_load(found[0])


def test_every_yaml_block_of_the_readme_parses() -> None:
    blocks = re.findall(r"^```yaml\n(.*?)^```", README, flags=re.MULTILINE | re.DOTALL)
    assert len(blocks) >= 3
    for block in blocks:
        yaml.safe_load(block)
    assert "v0.1.0" not in README  # a tag that never existed


def test_the_github_workflow_uses_only_declared_inputs() -> None:
    workflow = yaml_block("# .github/workflows/abigate.yml")
    inputs = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))["inputs"]
    steps = workflow["jobs"]["gate"]["steps"]
    (gate,) = [s for s in steps if str(s.get("uses", "")).startswith("abigate/abigate@")]
    assert set(gate["with"]) <= set(inputs)
    assert gate["uses"].endswith("@main")  # a ref that exists until a release is tagged
    (upload,) = [s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@")]
    assert upload["with"]["sarif_file"] == gate["with"]["sarif-file"]
    assert workflow["jobs"]["gate"]["permissions"]["security-events"] == "write"


def test_the_gitlab_job_runs_and_its_reports_are_read_by_gitlab_readers(tmp_path: Path) -> None:
    job = yaml_block("# .gitlab-ci.yml")["abigate"]
    assert set(job["artifacts"]["reports"]) == {"codequality", "junit"}
    (tmp_path / "dist").mkdir()
    make_wheel(tmp_path / "dist", "demo", "1.0", "py3-none-manylinux_2_17_x86_64", {"demo/libdemo.so": NEW})
    config = '[tool.abigate]\nprofiles = ["amazonlinux-2"]\n'
    (tmp_path / "pyproject.toml").write_text(config, encoding="utf-8")
    statuses = []
    for line in job["script"]:
        if line.startswith("pip install "):
            assert line.endswith(("/archive/refs/heads/main.tar.gz",))
            continue
        assert line.startswith("abigate check "), line
        # As the job's shell runs it: the glob expanded by sh, abigate from this checkout.
        command = line.replace("abigate ", f"{sys.executable} -m abigate ", 1)
        env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT / "src")}
        proc = subprocess.run(["sh", "-c", command], cwd=tmp_path, capture_output=True, text=True,
                              timeout=120, env=env, check=False)
        statuses.append(proc.returncode)
    assert statuses == [0, 0, 1]  # the reports never stop the job; the last run is the gate
    quality = json.loads((tmp_path / job["artifacts"]["reports"]["codequality"]).read_text(encoding="utf-8"))
    assert quality and {issue["check_name"] for issue in quality} == {"ABG201"}
    junit = JUnitXml.fromfile(str(tmp_path / job["artifacts"]["reports"]["junit"]))
    cases = [case for suite in junit for case in suite]
    assert len(cases) == 1 and not cases[0].is_passed


@pytest.mark.parametrize("needle", ["pre-commit install --hook-type pre-push", "rev: main"])
def test_the_readme_says_how_to_install_the_hook(needle: str) -> None:
    assert needle in README
