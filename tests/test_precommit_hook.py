"""The pre-commit hook fires on push and gates artifacts in ignored folders (issue 9, part 4).

Used the way a project uses it, with the real ``pre-commit`` package: a hook repository (this project's
sources, committed in a temporary git repository so the test covers the working tree, not only the last
commit), a project whose ``dist/`` is git-ignored, a ``.pre-commit-config.yaml`` naming the hook repository by
path and commit, ``pre-commit install --hook-type pre-push``, then ``pre-commit run --hook-stage pre-push``
and a real ``git push``: an incompatible wheel in ``dist/`` fails, a compatible one passes. The
``.pre-commit-config.yaml`` is the README's snippet, with only the repository URL replaced by the local path
(``rev: main`` included), and ``pre-commit autoupdate`` pins that to a commit as the README says.

pre-commit builds the hook's virtual environment and pip-installs abigate into it (dependencies from the
package index, as for any user), once for the module.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]
from conftest import make_wheel

ROOT = Path(__file__).resolve().parents[1]
URL = "https://github.com/abigate/abigate"
OLD = (ROOT / "testdata/elf/glibc/v2_17.so").read_bytes()
NEW = (ROOT / "testdata/elf/glibc/v2_34.so").read_bytes()
TAG = "py3-none-manylinux_2_17_x86_64"

pytestmark = [
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
    # pre-commit pip-installs the hook (abigate's dependencies come from the package index): ~20-40 s.
    pytest.mark.slow,
]


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT", "PYTHONPATH"))}
    env.update(
        GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.invalid", GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.invalid", GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull,
        PRE_COMMIT_HOME=str(home / "pre-commit-cache"), NO_COLOR="1",
    )
    return env


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)


def _git(cwd: Path, env: dict[str, str], *args: str) -> str:
    proc = _run(["git", *args], cwd, env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def _pre_commit(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "-m", "pre_commit", *args], cwd, env)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """A git project using the hook, installed for pre-push, with its hook environment built."""
    base = tmp_path_factory.mktemp("precommit")
    env = _env(base)
    hooks = base / "abigate-hooks"
    hooks.mkdir()
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy2(ROOT / name, hooks / name)
    shutil.copytree(ROOT / "src", hooks / "src", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _git(hooks, env, "init", "-q", "-b", "main")
    _git(hooks, env, "add", "-A")
    _git(hooks, env, "commit", "-q", "-m", "hooks")
    rev = _git(hooks, env, "rev-parse", "HEAD")

    proj = base / "proj"
    proj.mkdir()
    (proj / ".gitignore").write_text("dist/\n", encoding="utf-8")
    (proj / "pyproject.toml").write_text(
        '[tool.abigate]\nprofiles = ["amazonlinux-2"]\nartifacts = ["dist/*.whl"]\n', encoding="utf-8")
    (proj / ".pre-commit-config.yaml").write_text(readme_config().replace(URL, str(hooks)), encoding="utf-8")
    _git(proj, env, "init", "-q", "-b", "main")
    _git(proj, env, "add", "-A")
    _git(proj, env, "commit", "-q", "-m", "project")
    remote = base / "remote.git"
    _git(base, env, "init", "-q", "--bare", str(remote))
    _git(proj, env, "remote", "add", "origin", str(remote))
    installed = _pre_commit(proj, env, "install", "--hook-type", "pre-push")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    built = _pre_commit(proj, env, "install-hooks")
    assert built.returncode == 0, built.stdout + built.stderr
    (proj / "dist").mkdir()
    (proj.parent / "hooks-rev").write_text(rev, encoding="utf-8")
    yield proj, env


def readme_config() -> str:
    """The ``.pre-commit-config.yaml`` block of the README."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```yaml\n(# \.pre-commit-config\.yaml\n.*?)^```", text,
                        flags=re.MULTILINE | re.DOTALL)
    assert len(blocks) == 1, "the README shows one .pre-commit-config.yaml"
    block: str = blocks[0]
    assert URL in block
    return block


def _dist(proj: Path, library: bytes) -> None:
    for old in (proj / "dist").iterdir():
        old.unlink()
    make_wheel(proj / "dist", "demo", "1.0", TAG, {"demo/libdemo.so": library})


def test_the_hook_definition_fires_without_file_names_on_push() -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "abigate" and hook["entry"] == "abigate check" and hook["language"] == "python"
    assert hook["pass_filenames"] is False and hook["always_run"] is True
    assert "pre-push" in hook["stages"]


def test_an_incompatible_wheel_in_an_ignored_dist_fails_the_hook(
        project: tuple[Path, dict[str, str]]) -> None:
    proj, env = project
    _dist(proj, NEW)
    assert _git(proj, env, "status", "--porcelain") == ""  # dist/ is ignored: pre-commit sees no file
    proc = _pre_commit(proj, env, "run", "--hook-stage", "pre-push")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Failed" in proc.stdout and "ABG201" in proc.stdout, proc.stdout
    assert "dist/demo-1.0-py3-none-manylinux_2_17_x86_64.whl" in proc.stdout


def test_a_compatible_wheel_passes_the_hook(project: tuple[Path, dict[str, str]]) -> None:
    proj, env = project
    _dist(proj, OLD)
    proc = _pre_commit(proj, env, "run", "--hook-stage", "pre-push")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Passed" in proc.stdout and "Skipped" not in proc.stdout


def test_git_push_runs_the_hook_and_is_refused_then_accepted(project: tuple[Path, dict[str, str]]) -> None:
    proj, env = project
    _dist(proj, NEW)
    refused = _run(["git", "push", "-q", "origin", "main"], proj, env)
    assert refused.returncode != 0
    assert "ABG201" in refused.stdout + refused.stderr
    _dist(proj, OLD)
    accepted = _run(["git", "push", "-q", "origin", "main"], proj, env)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr


def test_nothing_built_is_a_clear_failure_not_a_skip(project: tuple[Path, dict[str, str]]) -> None:
    proj, env = project
    for old in (proj / "dist").iterdir():
        old.unlink()
    proc = _pre_commit(proj, env, "run", "--hook-stage", "pre-push")
    assert proc.returncode == 1, proc.stdout
    assert "artifacts: nothing matches 'dist/*.whl'" in proc.stdout


def test_autoupdate_pins_the_readme_rev_to_a_commit(project: tuple[Path, dict[str, str]]) -> None:
    """No release tag yet: ``pre-commit autoupdate`` replaces ``rev: main`` with the newest commit's SHA."""
    proj, env = project
    config = yaml.safe_load((proj / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    assert config["repos"][0]["rev"] == "main"
    copy = proj.parent / "autoupdate.yaml"
    copy.write_text((proj / ".pre-commit-config.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    proc = _pre_commit(proj, env, "autoupdate", "--config", str(copy))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    pinned = yaml.safe_load(copy.read_text(encoding="utf-8"))["repos"][0]["rev"]
    assert pinned == (proj.parent / "hooks-rev").read_text(encoding="utf-8")
