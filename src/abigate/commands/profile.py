"""``abigate profile …``: list, show, validate, probe, capture, from-rootfs, from-image and diff profiles.

Output goes to stdout (or ``-o FILE``); errors are :class:`abigate.errors.ProfileError` and become exit 2 in
``abigate.cli``. Nothing here judges artifacts.
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import resources

import click

from abigate.cli import SuggestingGroup
from abigate.errors import ProfileError, UsageError
from abigate.profile import Profile

__all__ = ["profile"]

_PROBE = "resources/probe.py"


def _write(text: str, output: str | None) -> None:
    if output is None or output == "-":
        click.echo(text, nl=False)
        return
    try:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise UsageError(f"{output}: cannot write: {exc.strerror}") from None
    click.echo(f"wrote {output}", err=True)


def _python_cell(p: Profile) -> str:
    return ", ".join(py.version_text for py in p.pythons) or "-"


@click.group("profile", cls=SuggestingGroup)
def profile() -> None:
    """Runtime profiles: what a target machine provides (libc, libraries, Python, limits).

    \b
    Examples:
      abigate profile list --kind runtime
      abigate profile show aws-lambda-python3.12-arm64
      abigate profile diff debian-12 debian-13
      abigate profile capture -o this-host.toml
    """


@profile.command("list")
@click.option("--kind", type=click.Choice(["runtime", "os", "policy"]), help="Only profiles of this kind.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def list_cmd(kind: str | None, fmt: str) -> None:
    """List the built-in profiles.

    \b
    Examples:
      abigate profile list
      abigate profile list --kind runtime
      abigate profile list --format json
    """
    from abigate.profiles import builtin_summaries  # the generated index: no TOML parsed

    rows = [p for p in builtin_summaries() if kind is None or p.kind == kind]
    if fmt == "json":
        import json

        data = [{"id": p.id, "kind": p.kind, "arch": p.arch, "libc": f"{p.libc} {p.libc_version_text}",
                 "python": [py.version_text for py in p.pythons], "title": p.title} for p in rows]
        click.echo(json.dumps(data, indent=2))
        return
    table = [("ID", "KIND", "ARCH", "LIBC", "PYTHON", "TITLE")]
    table += [(p.id, p.kind, p.arch, f"{p.libc} {p.libc_version_text}", _python_cell(p), p.title) for p in rows]
    widths = [max(len(r[i]) for r in table) for i in range(5)]
    for r in table:
        click.echo("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r[:5])) + "  " + r[5])


@profile.command("show")
@click.argument("profile_id", metavar="ID_OR_FILE")
@click.option("--python", "python", metavar="X.Y", help="Use this CPython (e.g. 3.12, 3.13t) as the interpreter.")
@click.option("--format", "fmt", type=click.Choice(["toml", "json"]), default="toml", show_default=True)
def show(profile_id: str, python: str | None, fmt: str) -> None:
    """Print a resolved profile (extends applied, version sets spelled out).

    \b
    Examples:
      abigate profile show debian-12
      abigate profile show google-22 --python 3.11
      abigate profile show my-runtime.toml --format json
    """
    from abigate.profiles import load_profile, profile_to_json, profile_to_toml

    p = load_profile(profile_id, python=python)
    click.echo(profile_to_json(p) if fmt == "json" else profile_to_toml(p), nl=False)


@profile.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate(files: tuple[str, ...]) -> None:
    """Check profile files; every problem is listed with its field, line and a hint (exit 2 if any).

    \b
    Examples:
      abigate profile validate my-runtime.toml
      abigate profile validate profiles/*.toml
    """
    from abigate.profiles import validate_file

    failed = 0
    for path in files:
        try:
            p = validate_file(path)
        except ProfileError as exc:
            failed += 1
            click.echo(f"abigate: error: {exc}", err=True)
            for line in exc.problems:
                click.echo(f"  {line}", err=True)
            continue
        click.echo(f"{path}: ok ({p.id}: {p.kind}, {p.arch}, {p.libc} {p.libc_version_text}, "
                   f"{len(p.libraries)} libraries, python {_python_cell(p)})")
    if failed:
        raise click.exceptions.Exit(2)


@profile.command("probe")
@click.option("-o", "--output", metavar="FILE", help="Write the script to FILE instead of stdout.")
def probe(output: str | None) -> None:
    """Print the stdlib-only probe script to run on a target (python3 -E -s probe.py > target.toml).

    \b
    Examples:
      abigate profile probe -o probe.py
      python3 -E -s probe.py --id my-runtime > my-runtime.toml
      abigate profile validate my-runtime.toml
    """
    text = resources.files("abigate").joinpath(_PROBE).read_text(encoding="utf-8")
    _write(text, output)


def _run_probe(python: str, profile_id: str | None, as_json: bool) -> str:
    with resources.as_file(resources.files("abigate").joinpath(_PROBE)) as script:
        cmd = [python, "-E", "-s", os.fspath(script)]
        if profile_id:
            cmd += ["--id", profile_id]
        if as_json:
            cmd.append("--json")
        try:
            run = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            raise ProfileError(f"cannot run the probe with {python}: {exc}") from None
    if run.returncode != 0:
        last = (run.stderr.strip().splitlines() or ["no message"])[-1]
        raise ProfileError(f"the probe failed (exit {run.returncode}): {last}")
    return run.stdout


@profile.command("capture")
@click.option("-o", "--output", metavar="FILE", help="Write the profile to FILE instead of stdout.")
@click.option("--id", "profile_id", metavar="ID", help="Id of the new profile (default: captured-<os>-<arch>).")
@click.option("--python", "python", metavar="EXE", default=None,
              help="Interpreter to describe (default: the one running abigate).")
@click.option("--format", "fmt", type=click.Choice(["toml", "json"]), default="toml", show_default=True)
def capture(output: str | None, profile_id: str | None, python: str | None, fmt: str) -> None:
    """Describe THIS machine as a profile (runs the probe script here, then validates its output).

    \b
    Examples:
      abigate profile capture -o this-host.toml
      abigate profile capture --id build-box --python /usr/bin/python3.12
    """
    from abigate.profiles import parse_profile_text, profile_to_json
    from abigate.profiles._resolve import parse_toml

    text = _run_probe(python or sys.executable, profile_id, as_json=False)
    try:
        parse_toml(text, "probe output")
        p = parse_profile_text(text, "probe output")
    except ProfileError as exc:
        raise ProfileError(f"the probe output is not a valid profile: {exc}", exc.problems) from None
    _write(profile_to_json(p) if fmt == "json" else text, output)


@profile.command("from-rootfs")
@click.argument("root", metavar="DIR")
@click.option("-o", "--output", metavar="FILE", help="Write the profile to FILE instead of stdout.")
@click.option("--id", "profile_id", metavar="ID", help="Id of the new profile (default: rootfs-<os>-<arch>).")
@click.option("--format", "fmt", type=click.Choice(["toml", "json"]), default="toml", show_default=True)
def from_rootfs(root: str, output: str | None, profile_id: str | None, fmt: str) -> None:
    """Build a profile from an unpacked OS tree (docker export, debootstrap, image layer); runs nothing.

    \b
    Examples:
      mkdir root && docker export $(docker create debian:12) | tar -x -C root
      abigate profile from-rootfs root --id my-debian -o my-debian.toml
    """
    from abigate.profiles import parse_profile_text, profile_to_json
    from abigate.profiles._render import dumps_toml, toml_comment
    from abigate.rootfs import profile_from_rootfs

    data = profile_from_rootfs(root, profile_id=profile_id)
    head = f"Read from the root filesystem {os.path.abspath(root)} by abigate profile from-rootfs"
    text = f"# {toml_comment(head)}\n" + dumps_toml(data)
    p = parse_profile_text(text, f"rootfs:{root}")
    _write(profile_to_json(p) if fmt == "json" else text, output)


@profile.command("from-image")
@click.argument("image", metavar="IMAGE")
@click.option("-o", "--output", metavar="FILE", help="Write the profile to FILE instead of stdout.")
@click.option("--id", "profile_id", metavar="ID", help="Id of the new profile (default: image-<os>-<arch>).")
@click.option("--arch", metavar="ARCH", help="The platform of a multi-platform image (x86_64, aarch64…).")
@click.option("--format", "fmt", type=click.Choice(["toml", "json"]), default="toml", show_default=True)
def from_image(image: str, output: str | None, profile_id: str | None, arch: str | None, fmt: str) -> None:
    """Build a profile from a container image's base layers (docker save tarball, OCI layout); runs nothing.

    The base is what `check --profile image` uses: the layers up to the base image's last CMD/ENTRYPOINT
    in the config history, else every layer but the top one. Nothing is extracted.

    \b
    Examples:
      docker save myapp:latest -o app.tar
      abigate profile from-image app.tar -o app-base.toml
      abigate profile from-image oci-layout/ --arch aarch64
    """
    from abigate.image import profile_from_image
    from abigate.profiles import parse_profile_text, profile_to_json
    from abigate.profiles._render import dumps_toml, toml_comment
    from abigate.scan import check_artifact_paths

    check_artifact_paths([image])  # a FIFO or a device is refused, never opened
    data, note = profile_from_image(image, arch=arch, profile_id=profile_id)
    text = f"# {toml_comment('Read by abigate profile from-image: ' + note)}\n" + dumps_toml(data)
    p = parse_profile_text(text, f"image:{image}")
    _write(profile_to_json(p) if fmt == "json" else text, output)


@profile.command("diff")
@click.argument("a", metavar="A")
@click.argument("b", metavar="B")
@click.option("--python", "python", metavar="X.Y", help="Use this CPython in both profiles.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def diff(a: str, b: str, python: str | None, fmt: str) -> None:
    """What changes from profile A to profile B (libc, libraries lost and gained, version nodes, Python).

    \b
    Examples:
      abigate profile diff debian-12 debian-13
      abigate profile diff ubuntu-22.04 my-runtime.toml --format json
    """
    from abigate.profilediff import diff_profiles, render_diff_json, render_diff_text
    from abigate.profiles import load_profile

    result = diff_profiles(load_profile(a, python=python), load_profile(b, python=python))
    click.echo(render_diff_json(result) if fmt == "json" else render_diff_text(result), nl=False)
