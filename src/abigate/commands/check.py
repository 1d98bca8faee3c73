"""``abigate check ARTIFACT... --profile ID``: the gate.

Steps: configuration (``[tool.abigate]``, overridden by options) → profiles → scan each artifact once →
evaluate it against each profile → render → exit status. Exit 0 when every artifact passes every profile,
1 when one fails (or could not be read: that is a finding), 2 for usage/configuration/profile errors (raised as
:class:`~abigate.errors.AbigateError` and turned into the status by ``abigate.cli``), 3 for bugs.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from abigate._records import replace
from abigate.commands.scan import ReportText, use_colour
from abigate.errors import UsageError

if TYPE_CHECKING:
    from abigate.facts import ArtifactFacts
    from abigate.findings import Report
    from abigate.profile import Profile
    from abigate.reporters.check_text import Verbosity

__all__ = ["check", "nothing_to_check", "python_choice_notes", "split_selectors", "use_colour",
           "with_native_counts"]

#: characters a shell expands in a pattern; one left in an argument that names no file matched nothing.
_GLOB_CHARS = re.compile(r"[*?\[]")


def split_selectors(values: tuple[str, ...]) -> tuple[str, ...]:
    """``("ABG2,ABG3", "ABG5")`` → ``("ABG2", "ABG3", "ABG5")``: options may repeat or hold commas."""
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def nothing_to_check(art: ArtifactFacts) -> str | None:
    """Why *art* holds nothing at all (no file, readable, at any depth), or ``None`` when it holds something.

    A gate pointed at an empty build folder or an empty zip must not pass: that is a usage error (exit 2),
    not a verdict. A 0-byte *file* is something (it is read, and is not native); a zip that cannot be read
    is a finding (ABG001), not nothing.
    """
    if art.member_count or art.problems or art.nested:
        return None
    if art.kind == "directory":
        try:
            with os.scandir(art.path) as entries:
                only_folders = any(True for _ in entries)
        except OSError:
            only_folders = False
        return "the folder holds only empty folders" if only_folders else "the folder holds no files"
    return "the archive holds no files"


def with_native_counts(report: Report, facts: Sequence[ArtifactFacts]) -> Report:
    """*report* with each artifact's native file count and digest, and a note for each that has none to load.

    Such an artifact passes (nothing in it is loaded), but silently passing a folder of Python sources
    given by mistake for the build output would hide the mistake, so the text report says so.
    """
    results = []
    notes = list(report.notes)
    for result, art in zip(report.artifacts, facts, strict=True):
        count = sum(len(a.native_files) for a in art.walk())
        results.append(replace(result, native_files=count, sha256=art.sha256))
        notes.extend(note for a in art.walk() for note in a.notes)
        if count == 0 and not any(a.problems for a in art.walk()):
            notes.append(f"{art.path}: no native files: nothing to load")
    return replace(report, artifacts=tuple(results), notes=tuple(notes))


def own_libc_notes(facts: Sequence[ArtifactFacts]) -> tuple[str, ...]:
    """A note for each container image that ships its own C library, judged against an outside profile.

    Such an image brings its whole userland: the operating system's own files (glibc's libraries binding
    GLIBC_PRIVATE among themselves, sanitizer runtimes…) are judged against the profile as well, which is
    rarely the question. ``--profile image`` judges the layers above the image's base against that base.
    """
    notes = []
    for art in facts:
        if art.kind != "image":
            continue
        libcs = sorted(nf.member for a in art.walk() for nf in a.native_files
                       if nf.elf is not None and nf.elf.soname is not None
                       and nf.elf.soname.startswith(("libc.so.6", "ld-musl-", "libc.musl-")))
        if libcs:
            notes.append(f"{art.path}: the image ships its own C library ({libcs[0]}), so its OS files were "
                         "judged against the profile too; to judge the layers above its base against that "
                         "base, use --profile image")
    return tuple(notes)


def python_choice_notes(profiles: Sequence[Profile], chosen: str | None) -> tuple[str, ...]:
    """A note for each profile that offers several Pythons when none was chosen: which one was judged.

    ``google-22`` runs 3.10 to 3.13; judging against its default (the first it lists) without saying so
    would let a wheel for 3.11 fail, or a 3.13-only one pass, with no hint that ``--python`` exists.
    """
    if chosen is not None:
        return ()
    notes = []
    for prof in profiles:
        if len(prof.pythons) > 1:
            versions = ", ".join(py.version_text for py in prof.pythons)
            notes.append(f"{prof.id} runs Python {versions}: judged against {prof.pythons[0].version_text}, "
                         "its default; pass --python X.Y to judge another")
    return tuple(notes)


#: ``--profile image``: the runtime is the checked image's own base layers.
IMAGE_PROFILE = "image"


def _image_runtime(profile_ids: Sequence[str], artifacts: Sequence[str]) -> Profile:
    """The profile of the image's base layers, for ``--profile image`` (one image, no other profile)."""
    from abigate.image import profile_from_image
    from abigate.profiles import parse_profile_text
    from abigate.profiles._render import dumps_toml

    if len(set(profile_ids)) > 1:
        raise UsageError("--profile image takes the runtime from the image itself; give no other profile")
    if len(artifacts) != 1:
        raise UsageError("--profile image judges one container image at a time")
    data, _ = profile_from_image(artifacts[0])
    return parse_profile_text(dumps_toml(data), f"image:{artifacts[0]}")


@click.command()
@click.argument("artifacts", nargs=-1, metavar="[ARTIFACT]...")
@click.option(
    "--profile",
    "-p",
    "profiles",
    multiple=True,
    metavar="ID_OR_FILE",
    help="Target runtime: a built-in id (abigate profile list) or a profile file. Repeat for several "
    "targets; each artifact gets one verdict per profile.",
)
@click.option(
    "--python",
    metavar="X.Y",
    help="Target CPython (3.6-3.15, e.g. 3.12 or 3.13t): selects one of a runtime profile's Pythons, or gives "
    "an OS or policy profile one. Contradicting a runtime's own Python is a usage error.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "concise", "json", "sarif", "junit", "gitlab", "github"]),
    default="text",
    show_default=True,
    help="text for people; concise: one line per problem; json for tools (schema abigate.check/2, every "
    "finding); sarif for GitHub code scanning; junit for CI test tabs; gitlab for GitLab Code Quality; "
    "github for GitHub Actions annotations. See docs/output.md.",
)
@click.option(
    "--output", "-o", metavar="FILE", help="Write the report to FILE (atomically) instead of stdout."
)
@click.option(
    "--select",
    multiple=True,
    metavar="CODES",
    help="Only these rules: codes, prefixes (ABG2) or slugs; "
    "comma-separated or repeated. Replaces [tool.abigate] select.",
)
@click.option(
    "--ignore",
    multiple=True,
    metavar="CODES",
    help="Skip these rules (codes, prefixes or slugs). Replaces [tool.abigate] ignore.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning"]),
    default=None,
    help="Lowest severity that fails the gate [default: error].",
)
@click.option("--exit-zero", is_flag=True, help="Report only: exit 0 even when the gate fails.")
@click.option(
    "--config",
    "config_file",
    metavar="FILE",
    help="Read [tool.abigate] from FILE instead of searching pyproject.toml upward from the current folder.",
)
@click.option("--no-config", is_flag=True, help="Ignore any [tool.abigate] configuration.")
@click.option(
    "--quiet", "-q", is_flag=True, help="One line per problem that fails the gate, and the summary."
)
@click.option(
    "--statistics",
    is_flag=True,
    help="Instead of the findings, their count per rule (text and concise formats).",
)
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Every finding on its own (no rollup), waived ones too, every symbol, and the profiles used.",
)
@click.option(
    "--color",
    "colour",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour the text report (auto: on a terminal, unless NO_COLOR is set).",
)
@click.option(
    "--jobs", "-j", type=click.IntRange(min=1), default=None,
    help="Worker processes (default: the CPUs abigate may use; 1 = none). Several artifacts: one per worker; "
    "a single artifact: its large native files in parallel.",
)
@click.option("--progress/--no-progress", "show_progress", default=None,
              help="Show progress on stderr after a second (default: only on a terminal, not in CI).")
@click.option(
    "--all-platforms",
    is_flag=True,
    help="Judge every image of a multi-platform container image index (default: the one for the profile's "
    "architecture).",
)
@click.option(
    "--attest",
    metavar="FILE",
    help="Also write an in-toto attestation of this check to FILE (atomically): the artifacts' sha256, each "
    "resolved profile's sha256 and the verdicts, for `abigate verify` at deploy time (docs/deploy-contract.md).",
)
@click.option("--debug", is_flag=True, help="Show the Python traceback of an internal error.")
def check(
    artifacts: tuple[str, ...],
    profiles: tuple[str, ...],
    python: str | None,
    fmt: str,
    output: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    fail_on: str | None,
    exit_zero: bool,
    config_file: str | None,
    no_config: bool,
    quiet: bool,
    statistics: bool,
    verbose: bool,
    colour: str,
    jobs: int | None,
    all_platforms: bool,
    attest: str | None,
    show_progress: bool | None,
    debug: bool,
) -> None:
    """Check that every native file in ARTIFACT (wheel, zip, tar, conda package, folder or file) will load
    on the target runtime. ARTIFACT "-" reads standard input (so does /dev/stdin); a FIFO or a device is refused.

    Without ARTIFACT, checks what artifacts = ["dist/*.whl", ...] in [tool.abigate] names (globs taken
    from the folder of pyproject.toml): the form for a pre-commit hook.

    A container image (docker save tarball, OCI layout folder or tar) is judged as the files a container
    sees. --profile image takes the runtime from the image itself: its base layers become the profile and
    the layers above them are judged ("will my app layer load on this image's base?").

    \b
    Examples:
      abigate check function.zip -p aws-lambda-python3.12-arm64
      abigate check dist/*.whl -p debian-12 -p aws-lambda-python3.11 --format json -o report.json
      abigate check dist/*.whl -p aws-lambda-python3.12 --format sarif -o abigate.sarif
      abigate check app.tar --profile image
      cat layer.tar.gz | abigate check - -p aws-lambda-python3.11
      abigate check function.zip -p aws-lambda-python3.12 --attest function.zip.intoto.json

    Exit status: 0 compatible, 1 incompatible or unreadable, 2 usage or configuration error, 3 internal error.

    Defaults come from [tool.abigate] in pyproject.toml; every key is described in docs/configuration.md.
    """
    from abigate.config import Config, load_config
    from abigate.evaluate import Selection
    from abigate.evaluate import check as run_check
    from abigate.rules import Severity, UnknownRuleError, resolve_selector

    coloured = False

    if quiet and verbose:
        raise UsageError("--quiet and --verbose cannot be used together")
    if statistics and fmt not in ("text", "concise"):
        raise UsageError(f"--statistics prints a table for people; it cannot be used with --format {fmt}")
    if config_file and no_config:
        raise UsageError("--config and --no-config cannot be used together")
    if no_config:
        config = Config()
    elif config_file:
        if not os.path.exists(config_file):
            raise UsageError(f"--config {config_file}: no such file")
        config = load_config(Path(config_file))
    else:
        config = load_config(start=Path.cwd())

    try:
        sel = (
            tuple(resolve_selector(s) for s in split_selectors(select))
            if select
            else (config.select or ("ABG",))
        )
        ign = tuple(resolve_selector(s) for s in split_selectors(ignore)) if ignore else config.ignore
    except UnknownRuleError as exc:
        raise UsageError(str(exc)) from None
    configured_notes: tuple[str, ...] = ()
    if not artifacts:
        from abigate.commands._configured import configured_artifacts

        artifacts, configured_notes = configured_artifacts(config)
    threshold = Severity(fail_on) if fail_on else (config.fail_on or Severity.ERROR)
    selection = Selection(
        select=sel, ignore=ign, severity=config.severity, waivers=config.waivers, today=date.today()
    )

    profile_ids = profiles or config.profiles
    if not profile_ids:
        raise UsageError(
            "no target profile: pass --profile ID (see `abigate profile list`) or set "
            "profiles in [tool.abigate]"
        )
    from abigate.profiles import LazyProfiles, load_profile, with_python
    from abigate.profiles._resolve import parse_python

    # --python, else python = … in [tool.abigate]: it selects one of a runtime's Pythons or supplies one to
    # an OS or policy profile, and is refused (exit 2, naming where it was written) when it contradicts one.
    target_python = python or config.python
    written = None
    if not python and config.python:
        written = f'{config.source or "[tool.abigate]"}: python = "{config.python}"'
    if target_python is not None:
        parse_python(target_python, known=True, what=written)  # an unknown version fails before any profile
    for item in artifacts:
        if _GLOB_CHARS.search(item) and not os.path.lexists(item):
            raise UsageError(f"{item}: no such file or directory; the pattern matched nothing to check")
    if attest:
        from abigate.commands._attest import refuse_folders

        refuse_folders(artifacts)
    from abigate.image_options import ImageOptions

    loaded = []
    if IMAGE_PROFILE in profile_ids:
        from abigate.scan import check_artifact_paths

        check_artifact_paths(artifacts)  # a FIFO or a device is refused before the image would be opened
        loaded.append(_image_runtime(profile_ids, artifacts))
        image_options = ImageOptions(arch=loaded[0].arch, runtime_split=True)
    else:
        for pid in dict.fromkeys(profile_ids):
            loaded.append(load_profile(pid))
        arches = {p.arch for p in loaded}
        # One scan serves every profile: with profiles of several architectures every platform is judged.
        image_options = ImageOptions(arch=next(iter(arches)) if len(arches) == 1 else None,
                                     all_platforms=all_platforms or len(arches) > 1)
    loaded = [with_python(p, target_python, what=written) if target_python else p for p in loaded]
    if len({p.id for p in loaded}) != len(loaded):
        raise UsageError("the same profile was given twice under different names")

    from abigate.commands.progress import ProgressLine, want_progress
    from abigate.scan import scan_paths

    with ProgressLine(want_progress(show_progress), artifacts[0] if artifacts else "") as progress:
        facts = scan_paths(artifacts, jobs=jobs, image_options=image_options,
                           progress=progress if progress.enabled else None)
    for art in facts:
        empty = nothing_to_check(art)
        if empty:
            raise UsageError(f"{art.path}: nothing to check: {empty}")
    report = with_native_counts(
        run_check(facts, loaded, selection, fail_on=threshold, alternatives=LazyProfiles()), facts
    )
    if not image_options.runtime_split:
        report = replace(report, notes=report.notes + own_libc_notes(facts))
    report = replace(report,
                     notes=report.notes + python_choice_notes(loaded, target_python) + configured_notes)

    verbosity: Verbosity = "quiet" if quiet else "verbose" if verbose else "normal"
    text: ReportText
    coloured = False
    if statistics:
        from abigate.reporters.check_text import render_statistics

        coloured = fmt == "text" and use_colour(colour, to_file=bool(output))
        text = render_statistics(report, color=coloured)
    elif fmt == "json":
        from abigate.reporters.check_json import write_json

        text = functools.partial(write_json, report)
    elif fmt == "sarif":
        from abigate.reporters.check_sarif import render_sarif

        text = render_sarif(report, base=os.getcwd())
    elif fmt == "gitlab":
        from abigate.reporters.check_gitlab import render_gitlab

        text = render_gitlab(report, base=os.getcwd())
    elif fmt == "junit":
        from abigate.reporters.check_junit import render_junit

        text = render_junit(report)
    elif fmt == "concise":
        from abigate.reporters.check_concise import render_concise

        text = render_concise(report, verbosity=verbosity)
    elif fmt == "github":
        from abigate.reporters.check_github import render_github, render_summary

        # Under GitHub Actions the Markdown job summary holds every finding the annotations cannot.
        step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
        text = render_github(report, verbosity="quiet" if quiet else "verbose" if verbose else "normal",
                             summary=bool(step_summary))
        if step_summary:
            from abigate.ci.github import append_step_summary

            append_step_summary(step_summary, render_summary(report))
    else:
        from abigate.reporters.check_text import write_text

        coloured = use_colour(colour, to_file=bool(output))
        text = functools.partial(write_text, report, color=coloured, verbosity=verbosity)
    if attest:
        from abigate.commands._attest import write_attestation

        write_attestation(attest, report, loaded, profile_ids, target_python, selection)
    from abigate.commands.scan import to_stdout, write_atomically

    if output:
        write_atomically(output, text)
    else:
        # click strips ANSI codes when stdout is not a terminal unless told otherwise (--color always).
        to_stdout(text, coloured)
    status = report.exit_status(exit_zero=exit_zero)
    if status:
        raise click.exceptions.Exit(status)
