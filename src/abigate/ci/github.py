"""What the GitHub Action (``action.yml`` at the repository root) runs: ``python -m abigate.ci.github``.

The action's YAML only installs abigate and calls this module; everything that can be wrong lives here,
where tests reach it. The action's inputs arrive as ``INPUT_*`` environment variables (set by the YAML from
``${{ inputs.* }}``, never pasted into a shell script, so a hostile input cannot run commands). The module:

1. builds the ``abigate check`` command line from the inputs (artifact globs expanded here, as a shell
   would; no artifact input means the ``artifacts`` key of ``[tool.abigate]``);
2. runs it once in the chosen log format (``github`` by default: annotations, and the Markdown job summary
   that format appends to ``$GITHUB_STEP_SUMMARY`` itself); with another log format, a second run writes
   only the summary;
3. with a ``sarif-file`` input, runs it once more to write SARIF for ``github/codeql-action/upload-sarif``;
4. writes the outputs ``exit-code``, ``verdict`` (``pass``, ``fail`` or ``error``) and ``sarif-file`` to
   ``$GITHUB_OUTPUT``, and exits with the check's status, so the step fails when the gate does.

Each run scans the artifacts again: abigate's reports are rendered from one scan per run, and the scan of a
typical wheel or deploy zip takes well under a second.
"""

from __future__ import annotations

import glob
import html
import os
import re
import shlex
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Inputs", "append_step_summary", "check_argv", "main", "set_outputs", "verdict"]

_GLOB_CHARS = re.compile(r"[*?\[]")


@dataclass(frozen=True, slots=True, kw_only=True)
class Inputs:
    """The action's inputs, parsed; empty means "not given" (abigate's defaults and configuration apply)."""

    artifacts: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    python: str = ""
    format: str = "github"
    fail_on: str = ""
    sarif_file: str = ""
    config: str = ""
    args: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Inputs:
        """Read ``INPUT_ARTIFACTS``, ``INPUT_PROFILES``… (the names ``action.yml`` sets).

        Lists are split like a shell command line (spaces or newlines; quotes keep a space in a path);
        profiles may also be separated by commas.
        """

        def get(name: str) -> str:
            return env.get(f"INPUT_{name}", "").strip()

        return cls(
            artifacts=tuple(shlex.split(get("ARTIFACTS"), comments=True)),
            profiles=tuple(p for part in shlex.split(get("PROFILES"), comments=True)
                           for p in part.split(",") if p),
            python=get("PYTHON"),
            format=get("FORMAT") or "github",
            fail_on=get("FAIL_ON"),
            sarif_file=get("SARIF_FILE"),
            config=get("CONFIG"),
            args=tuple(shlex.split(get("ARGS"), comments=True)),
        )


def _expand(pattern: str) -> list[str]:
    """*pattern*'s matches, sorted; a pattern that matches nothing stays as it is, for abigate to refuse."""
    if not _GLOB_CHARS.search(pattern):
        return [pattern]
    return sorted(glob.glob(pattern, recursive=True)) or [pattern]


def check_argv(inputs: Inputs) -> list[str]:
    """The ``abigate check`` arguments the inputs stand for, without ``--format`` and ``--output``."""
    argv = ["check"]
    seen: dict[str, None] = {}
    for pattern in inputs.artifacts:
        seen.update(dict.fromkeys(_expand(pattern)))
    argv.extend(seen)
    for profile in inputs.profiles:
        argv += ["--profile", profile]
    if inputs.python:
        argv += ["--python", inputs.python]
    if inputs.fail_on:
        argv += ["--fail-on", inputs.fail_on]
    if inputs.config:
        argv += ["--config", inputs.config]
    argv.extend(inputs.args)
    return argv


def verdict(status: int) -> str:
    """``pass`` for exit status 0, ``fail`` for 1, ``error`` for anything else (usage error, crash)."""
    return {0: "pass", 1: "fail"}.get(status, "error")


def append_step_summary(path: str, markdown: str) -> bool:
    """Append *markdown* to the job summary file; a failure is a warning on stderr, not the gate's verdict."""
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(markdown if markdown.endswith("\n") else markdown + "\n")
    except OSError as exc:
        print(f"abigate: warning: cannot append the job summary to {path}: {exc.strerror or exc}",
              file=sys.stderr)
        return False
    return True


def set_outputs(path: str, values: Mapping[str, str]) -> None:
    """Append step outputs to ``$GITHUB_OUTPUT`` in the delimited form, safe for any value."""
    with open(path, "a", encoding="utf-8") as fh:
        for name, value in values.items():
            delimiter = f"abigate_{uuid.uuid4().hex}"
            fh.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")


def _run(argv: Sequence[str], env: Mapping[str, str]) -> tuple[int, str]:
    """Run ``python -m abigate *argv*``; stdout goes to the log, stderr is echoed and returned."""
    sys.stdout.flush()
    proc = subprocess.run([sys.executable, "-m", "abigate", *argv], env=dict(env), stderr=subprocess.PIPE,
                          text=True, check=False)
    sys.stderr.write(proc.stderr)
    sys.stderr.flush()
    return proc.returncode, proc.stderr


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def main(environ: Mapping[str, str] | None = None) -> int:
    """Run the action's step; returns the exit status of the check (0, 1, or 2/3 when it could not run)."""
    env = dict(os.environ if environ is None else environ)
    inputs = Inputs.from_env(env)
    argv = check_argv(inputs)
    summary = env.get("GITHUB_STEP_SUMMARY", "")
    print(f"abigate {shlex.join(argv)} --format {inputs.format}", flush=True)
    # The github format writes the job summary itself; any other log format must not get it twice.
    log_env = env if inputs.format == "github" else {
        k: v for k, v in env.items() if k != "GITHUB_STEP_SUMMARY"}
    status, errors = _run([*argv, "--format", inputs.format], log_env)
    outputs = {"exit-code": str(status), "verdict": verdict(status)}
    if status in (0, 1):
        if inputs.format != "github" and summary:
            with tempfile.TemporaryDirectory(prefix="abigate-") as tmp:
                _run([*argv, "--format", "github", "--exit-zero", "--output", os.path.join(tmp, "log")], env)
        if inputs.sarif_file:
            # A folder for reports is usual (results/abigate.sarif); abigate's own -o does not create one.
            folder = os.path.dirname(inputs.sarif_file)
            if folder:
                try:
                    os.makedirs(folder, exist_ok=True)
                except OSError:
                    pass  # the run below says why it cannot write there
            sarif_status, _ = _run([*argv, "--format", "sarif", "--exit-zero", "--output", inputs.sarif_file],
                                   env)
            if sarif_status == 0:
                outputs["sarif-file"] = inputs.sarif_file
            else:  # asked for and not written: the upload step after this one would fail less clearly
                print(f"::error title=abigate::could not write {_escape(inputs.sarif_file)}", flush=True)
                status = max(status, 2)
    else:
        reason = errors.strip().splitlines()[-1] if errors.strip() else f"exit status {status}"
        print(f"::error title=abigate could not check::{_escape(reason)}", flush=True)
        if summary:
            detail = html.escape(errors.strip() or reason)
            append_step_summary(summary, f"### abigate: could not check\n\n<pre>{detail}</pre>\n")
    if env.get("GITHUB_OUTPUT"):
        set_outputs(env["GITHUB_OUTPUT"], outputs)
    return status


if __name__ == "__main__":
    sys.exit(main())
