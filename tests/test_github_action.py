"""The GitHub Action: ``action.yml`` is well-formed and wired, and its script behaves as a step (issue 9).

The script (``python -m abigate.ci.github``) runs in a subprocess with the environment a runner gives a
step: ``INPUT_*`` variables, and fake ``GITHUB_STEP_SUMMARY`` / ``GITHUB_OUTPUT`` files that are read back
afterwards. The check step of ``action.yml`` itself is run through bash with its ``${{ … }}`` expressions
substituted, so a misspelt input or environment variable fails here and not in a user's workflow.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]
from conftest import make_wheel

from abigate.ci.github import Inputs, check_argv, verdict

ROOT = Path(__file__).resolve().parents[1]
ACTION = ROOT / "action.yml"
OLD = (ROOT / "testdata/elf/glibc/v2_17.so").read_bytes()
NEW = (ROOT / "testdata/elf/glibc/v2_34.so").read_bytes()
TAG = "py3-none-manylinux_2_17_x86_64"
_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def action() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return data


def expressions(value: object) -> list[str]:
    """Every ``${{ … }}`` expression anywhere in *value*."""
    if isinstance(value, str):
        return _EXPR.findall(value)
    if isinstance(value, dict):
        return [e for v in value.values() for e in expressions(v)]
    if isinstance(value, list):
        return [e for v in value for e in expressions(v)]
    return []


# -- action.yml ----------------------------------------------------------------------------------------------


def test_the_action_is_a_composite_action_that_installs_its_own_ref() -> None:
    data = action()
    assert data["runs"]["using"] == "composite"
    assert {"name", "description", "inputs", "outputs", "runs"} <= set(data)
    install = data["runs"]["steps"][0]["run"]
    # Into a virtual environment (PEP 668 refuses pip installs into ubuntu-24.04's system Python),
    # from the action's own checkout: the ref the workflow pinned.
    assert '-m venv "$venv"' in install and '"$GITHUB_ACTION_PATH"' in install
    for step in data["runs"]["steps"]:
        assert step["shell"] == "bash"  # a composite run step must name its shell


def test_every_expression_names_a_declared_input_or_an_earlier_step_output() -> None:
    data = action()
    declared = set(data["inputs"])
    steps = data["runs"]["steps"]
    used_inputs = set()
    for index, step in enumerate(steps):
        earlier = {s["id"] for s in steps[:index] if "id" in s}
        for expr in expressions(step):
            if expr.startswith("inputs."):
                assert expr.removeprefix("inputs.") in declared, expr
                used_inputs.add(expr.removeprefix("inputs."))
            else:
                m = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr)
                assert m and m.group(1) in earlier, expr
        # Inputs go through env, never into the script text, where a value could run commands.
        assert not expressions(step.get("run", "")), step["name"]
    assert used_inputs == declared, "an input that nothing uses"
    for name, out in data["outputs"].items():
        assert expressions(out["value"]) == [f"steps.check.outputs.{name}"]


def test_every_input_variable_the_yaml_sets_is_one_the_script_reads() -> None:
    env = action()["runs"]["steps"][1]["env"]
    names = [n for n in env if n.startswith("INPUT_")]
    assert names, env
    for name in names:
        # Each variable on its own changes what the script parses.
        assert Inputs.from_env({name: "x"}) != Inputs.from_env({}), name
        input_name = name.removeprefix("INPUT_").lower().replace("_", "-")
        assert env[name] == "${{ inputs." + input_name + " }}"


def test_inputs_are_split_like_a_command_line() -> None:
    inputs = Inputs.from_env({
        "INPUT_ARTIFACTS": "dist/a.whl\n'build/my fn.zip'  # the deploy zip\n",
        "INPUT_PROFILES": "debian-12, aws-lambda-python3.12-arm64\nrhel-9",
        "INPUT_PYTHON": " 3.12 ", "INPUT_FAIL_ON": "warning", "INPUT_ARGS": "--select ABG2 --ignore ABG501",
    })
    assert check_argv(inputs) == [
        "check", "dist/a.whl", "build/my fn.zip", "--profile", "debian-12", "--profile",
        "aws-lambda-python3.12-arm64", "--profile", "rhel-9", "--python", "3.12", "--fail-on", "warning",
        "--select", "ABG2", "--ignore", "ABG501"]
    assert Inputs.from_env({}).format == "github"
    assert [verdict(s) for s in (0, 1, 2, 3, 130)] == ["pass", "fail", "error", "error", "error"]


# -- the script, as a step runs it ---------------------------------------------------------------------------


def read_outputs(path: Path) -> dict[str, str]:
    """``$GITHUB_OUTPUT`` parsed as the runner does (``name<<DELIMITER`` … ``DELIMITER``)."""
    out: dict[str, str] = {}
    lines = iter(path.read_text(encoding="utf-8").splitlines())
    for line in lines:
        name, _, delimiter = line.partition("<<")
        value = []
        for inner in lines:
            if inner == delimiter:
                break
            value.append(inner)
        out[name] = "\n".join(value)
    return out


def step(tmp_path: Path, inputs: Mapping[str, str], argv: list[str] | None = None,
         ) -> tuple[subprocess.CompletedProcess[str], str, dict[str, str]]:
    """Run the action's script in *tmp_path*/proj the way the runner runs a step."""
    summary, outputs = tmp_path / "summary.md", tmp_path / "output.txt"
    summary.write_text("", encoding="utf-8")
    outputs.write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_"))}
    env.update({f"INPUT_{k.upper().replace('-', '_')}": v for k, v in inputs.items()})
    env.update(GITHUB_STEP_SUMMARY=str(summary), GITHUB_OUTPUT=str(outputs), GITHUB_ACTIONS="true",
               PYTHONPATH=str(ROOT / "src"), NO_COLOR="1")
    proc = subprocess.run(argv or [sys.executable, "-m", "abigate.ci.github"], cwd=tmp_path / "proj", env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    return proc, summary.read_text(encoding="utf-8"), read_outputs(outputs)


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    """A project with one wheel that loads on amazonlinux-2 (glibc 2.26) and one that does not."""
    (tmp_path / "proj" / "dist").mkdir(parents=True)
    for i in range(12):
        make_wheel(tmp_path / "proj" / "dist", f"bad{i:02}", "1.0", TAG, {f"bad{i:02}/libx.so": NEW})
    make_wheel(tmp_path / "proj" / "dist", "good", "1.0", TAG, {"good/libx.so": OLD})
    return tmp_path / "proj"


def test_a_failing_gate_fails_the_step_with_annotations_summary_and_outputs(tmp_path: Path,
                                                                            proj: Path) -> None:
    proc, summary, outputs = step(tmp_path, {"artifacts": "dist/*.whl", "profiles": "amazonlinux-2"})
    assert proc.returncode == 1, proc.stderr
    assert outputs == {"exit-code": "1", "verdict": "fail"}
    errors = [ln for ln in proc.stdout.splitlines() if ln.startswith("::error ")]
    assert len(errors) == 10  # 12 failing wheels, GitHub shows 10
    assert "2 errors more not annotated" in proc.stdout and "in the job summary" in proc.stdout
    assert summary.startswith("### abigate: ❌ incompatible")
    assert summary.count("| ❌ error |") == 12
    assert "good-1.0-py3-none-manylinux\\_2\\_17\\_x86\\_64.whl</code> | ✅ pass" in summary


def test_a_passing_gate_passes_the_step(tmp_path: Path, proj: Path) -> None:
    proc, summary, outputs = step(tmp_path, {"artifacts": "dist/good-*.whl", "profiles": "amazonlinux-2"})
    assert (proc.returncode, outputs) == (0, {"exit-code": "0", "verdict": "pass"}), proc.stderr
    assert summary.startswith("### abigate: ✅ compatible")
    assert "::error" not in proc.stdout


def test_another_log_format_still_gets_one_summary(tmp_path: Path, proj: Path) -> None:
    proc, summary, outputs = step(tmp_path, {"artifacts": "dist/bad00-*.whl dist/good-*.whl",
                                             "profiles": "amazonlinux-2", "format": "text"})
    assert proc.returncode == 1 and outputs["verdict"] == "fail"
    assert "::error" not in proc.stdout and "summary: 1 error" in proc.stdout
    assert summary.count("### abigate") == 1 and "| ❌ error |" in summary


def test_artifacts_from_the_configuration_when_the_input_is_empty(tmp_path: Path, proj: Path) -> None:
    (proj / "pyproject.toml").write_text('[tool.abigate]\nprofiles = ["amazonlinux-2"]\n'
                                         'artifacts = ["dist/good-*.whl"]\n', encoding="utf-8")
    proc, _, outputs = step(tmp_path, {})
    assert (proc.returncode, outputs["verdict"]) == (0, "pass"), proc.stderr


def test_a_usage_error_is_an_error_annotation_and_verdict_error(tmp_path: Path, proj: Path) -> None:
    proc, summary, outputs = step(tmp_path, {"artifacts": "dist/*.whl"})  # no profile anywhere
    assert proc.returncode == 2
    assert outputs == {"exit-code": "2", "verdict": "error"}
    assert "::error title=abigate could not check::abigate: error: no target profile" in proc.stdout
    assert summary.startswith("### abigate: could not check") and "no target profile" in summary
    proc, _, outputs = step(tmp_path, {"artifacts": "build/*.zip", "profiles": "amazonlinux-2"})
    assert proc.returncode == 2 and "the pattern matched nothing" in proc.stderr


def test_the_check_step_of_action_yml_runs_as_written(tmp_path: Path, proj: Path) -> None:
    """The YAML's own run line and env mapping, with the runner's substitution of ``${{ … }}``."""
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    data = action()
    run_step = data["runs"]["steps"][1]
    given = {"artifacts": "dist/bad00-*.whl", "profiles": "amazonlinux-2", "fail-on": "error"}
    values = {f"inputs.{k}": str(v.get("default", "")) for k, v in data["inputs"].items()}
    values.update({f"inputs.{k}": v for k, v in given.items()})
    values["steps.install.outputs.python"] = sys.executable
    env = {k: _EXPR.sub(lambda m: values[m.group(1)], v) for k, v in run_step["env"].items()}
    wrapper = tmp_path / "step.sh"
    exports = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.items())
    wrapper.write_text(exports + run_step["run"] + "\n", encoding="utf-8")
    assert _EXPR.sub(lambda m: values[m.group(1)], run_step["working-directory"]) == "."
    proc, summary, outputs = step(tmp_path, {}, argv=[bash, "--noprofile", "--norc", "-eo", "pipefail",
                                                      str(wrapper)])
    assert proc.returncode == 1, proc.stderr
    assert outputs == {"exit-code": "1", "verdict": "fail"}
    assert "| ❌ error |" in summary


def test_a_sarif_file_for_upload_sarif(tmp_path: Path, proj: Path) -> None:
    proc, _, outputs = step(tmp_path, {"artifacts": "dist/bad00-*.whl", "profiles": "amazonlinux-2",
                                       "sarif-file": "out/abigate.sarif"})
    assert proc.returncode == 1, proc.stderr
    assert outputs == {"exit-code": "1", "verdict": "fail", "sarif-file": "out/abigate.sarif"}
    sarif = json.loads((proj / "out" / "abigate.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["ABG201"]
