"""``abigate smoke``: write the post-deploy smoke script, or compare its report with abigate's prediction.

``abigate smoke ARTIFACT -o smoke.py`` scans the artifact once and writes the stdlib-only script with the
list of what to load (:mod:`abigate.smoke`). ``abigate smoke --compare REPORT.json ARTIFACT -p PROFILE``
checks the artifact against the profile and lists each file where the target's real loader and abigate's
prediction disagree: the loop that keeps verdicts honest.
"""

from __future__ import annotations

import posixpath
from importlib import resources

import click

from abigate.errors import UsageError

__all__ = ["smoke"]


def _name(path: str) -> str:
    return posixpath.basename(path.replace("\\", "/").rstrip("/")) or path


def _write_script(artifact: str, output: str | None, jobs: int | None) -> None:
    from abigate.scan import scan_path
    from abigate.smoke import plan, render_script

    facts = scan_path(artifact, jobs=jobs)
    template = resources.files("abigate").joinpath("resources/smoke.py").read_text(encoding="utf-8")
    the_plan = plan(facts, _name(facts.path))
    text = render_script(template, the_plan)
    if output:
        from abigate.commands.scan import write_atomically

        write_atomically(output, text)
        loads = len(the_plan["load"])
        click.echo(f"{output}: loads {loads} file{'' if loads == 1 else 's'} of {facts.path} "
                   f"({len(the_plan['skipped'])} skipped); run it on the target: "
                   f"python3 {_name(output)} ROOT",
                   err=True)
    else:
        click.echo(text, nl=False)


def _compare(report_path: str, artifact: str, profile_id: str, python: str | None, jobs: int | None) -> int:
    from abigate.evaluate import Selection, check
    from abigate.profiles import load_profile, with_python
    from abigate.resolve import resolve_artifact
    from abigate.scan import scan_path
    from abigate.smoke import SmokeReportError, compare, parse_report, predict

    try:
        with open(report_path, encoding="utf-8") as fh:
            text = fh.read(64 << 20)
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--compare {report_path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        report = parse_report(text)
    except SmokeReportError as exc:
        raise UsageError(f"--compare {report_path}: {exc}") from None
    profile = with_python(load_profile(profile_id), python or report.python,
                          what=f"--python {python}" if python else
                          f"the smoke report's Python {report.python}")
    facts = scan_path(artifact, jobs=jobs)
    if report.sha256 is not None and facts.sha256 is not None and report.sha256 != facts.sha256:
        raise UsageError(f"--compare {report_path}: the report is about {report.name} "
                         f"(sha256 {report.sha256}), "
                         f"not {artifact} (sha256 {facts.sha256})")
    result = check([facts], [profile], Selection())
    prediction = predict(facts, result.artifacts[0].findings, resolve_artifact(facts, profile))
    disagreements, compared = compare(report, prediction)
    for d in disagreements:
        click.echo(f"{d.what}: {d.path} ({d.kind}): {d.detail}")
    false_pass = sum(d.what == "false pass" for d in disagreements)
    false_reject = sum(d.what == "false reject" for d in disagreements)
    python_errors = sum(d.what == "python error" for d in disagreements)
    other = len(disagreements) - false_pass - false_reject - python_errors
    tail = f", {other} not compared" if other else ""
    if python_errors:
        tail += f" ({python_errors} loaded but failed in Python code: not a loading problem)"
    click.echo(f"summary: {compared} file{'' if compared == 1 else 's'} compared against {profile.id} "
               f"(Python {report.python}): {compared - false_pass - false_reject} agree, {false_pass} false "
               f"pass{'' if false_pass == 1 else 'es'}, {false_reject} false reject"
               f"{'' if false_reject == 1 else 's'}{tail}")
    return 1 if any(d.counts for d in disagreements) else 0


@click.command()
@click.argument("artifact", metavar="ARTIFACT")
@click.option("--output", "-o", metavar="FILE",
              help="Write the smoke script to FILE (atomically) instead of stdout.")
@click.option("--compare", "report", metavar="REPORT.json",
              help="Instead of writing the script: compare the report the script printed on the target with "
              "abigate's prediction for ARTIFACT on --profile.")
@click.option("--profile", "-p", "profile", metavar="ID_OR_FILE",
              help="With --compare: the profile of the target the script ran on (e.g. one captured there "
              "with "
              "`abigate profile capture`).")
@click.option("--python", metavar="X.Y",
              help="With --compare: the target's CPython (default: the one the smoke report says ran it).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes for large files.")
@click.option("--debug", is_flag=True, help="Show the Python traceback of an internal error.")
def smoke(artifact: str, output: str | None, report: str | None, profile: str | None, python: str | None,
          jobs: int | None, debug: bool) -> None:
    """Write a script that loads every native file of ARTIFACT on the deployed target, or compare its report.

    The script needs only CPython 3.8+ on the target (no abigate). Run it where the artifact was unpacked:
    it imports each extension module (importlib, in a child process each) and loads each bundled library
    (ctypes.CDLL), prints a JSON report with the loader's own message per file, and exits 1 if anything
    failed. With --compare, abigate checks ARTIFACT against --profile and lists each file where the
    target and the prediction disagree (false pass, false reject); exit 1 if any.

    \b
    Examples:
      abigate smoke function.zip -o smoke.py
      python3 smoke.py /var/task -o smoke-report.json          (on the target)
      abigate smoke --compare smoke-report.json function.zip -p aws-lambda-python3.12

    Exit status: 0 everything agrees (or the script was written), 1 a disagreement, 2 usage error.
    """
    if report is None:
        if profile or python:
            raise UsageError("--profile and --python apply to --compare only")
        _write_script(artifact, output, jobs)
        return
    if output:
        raise UsageError("--output writes the script; it cannot be used with --compare")
    if not profile:
        raise UsageError("--compare needs --profile: the target the script ran on")
    status = _compare(report, artifact, profile, python, jobs)
    if status:
        raise click.exceptions.Exit(status)
