"""``abigate scan``: show what every native file in the given artifacts needs from the machine that loads it.

No profile, no judgement: this prints facts. Exit status 0 when everything was read, 1 when any artifact
had a problem (corrupt, encrypted, zip bomb, path traversal…) or a native file could not be parsed, so a
broken artifact still fails CI; 2 for usage errors (raised as :class:`UsageError`, turned into the exit
status by ``abigate.cli``).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable

import click

from abigate.errors import UsageError

__all__ = ["scan", "use_colour", "write_atomically"]


def use_colour(choice: str, *, to_file: bool) -> bool:
    """Colour on a terminal unless ``NO_COLOR`` is set (https://no-color.org); ``always``/``never`` win."""
    if choice == "always":
        return True
    if choice == "never" or to_file:
        return False
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _report_mode(path: str) -> int:
    """The permission bits for a report at *path*: those of the file it replaces, else 0666 & ~umask."""
    import stat

    try:
        st = os.stat(path)
        if stat.S_ISREG(st.st_mode):
            return stat.S_IMODE(st.st_mode)
    except OSError:
        pass
    umask = os.umask(0o022)  # the only portable way to read the umask is to set it, then put it back
    os.umask(umask)
    return 0o666 & ~umask


#: a report: its text, or a writer that hands the text in pieces to the sink it is given (a large JSON
#: report is never whole in memory).
ReportText = str | Callable[[Callable[[str], object]], None]


def emit(report: ReportText, sink: Callable[[str], object]) -> None:
    """Hand *report*'s text to *sink*."""
    if isinstance(report, str):
        sink(report)
    else:
        report(sink)


def to_stdout(report: ReportText, color: bool) -> None:
    """Write *report* to standard output in its pieces.

    When the reader goes away mid-report (``abigate check … | head``), writing stops and the command ends
    with status 0, as ``abigate.cli`` treats a broken pipe: it is not an error of the artifact's or ours.
    """
    try:
        emit(report, lambda piece: click.echo(piece, nl=False, color=color))
    except BrokenPipeError:
        # click turns a broken pipe inside a command into status 1 before abigate.cli sees it: end here.
        from abigate.cli import silence_stdout

        silence_stdout()
        raise click.exceptions.Exit(0) from None


def write_atomically(path: str, text: ReportText, *, option: str = "--output") -> None:
    """Write *text* to *path* through a temporary file in the same folder and ``os.replace``.

    A reader never sees half a report, and a failed run leaves the previous file in place. The report gets
    the mode the shell's ``>`` would give it: an existing file's mode, else 0666 less the umask (mkstemp's
    private 0600 would hide a CI artifact from the other users and services that read it). *option* names
    the option that asked for the file in an error message.
    """
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):  # before the temporary file: nothing is created beside a folder given by mistake
        raise UsageError(f"{option} {path}: is a folder; name the file to write")
    try:
        import tempfile  # only when writing a file: it costs ~7 ms of start-up (shutil, random)

        fd, tmp = tempfile.mkstemp(prefix=".abigate-", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise UsageError(f"{option} {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            if hasattr(os, "fchmod"):  # POSIX; Windows has no mode bits worth setting
                os.fchmod(fh.fileno(), _report_mode(path))
            emit(text, fh.write)
        os.replace(tmp, path)
    except BaseException as exc:  # Ctrl-C too: no .abigate-*.tmp may be left behind
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise UsageError(f"{option} {path}: {exc.strerror or exc}") from None
        raise


@click.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people, json for tools (schema abigate.scan/2).")
@click.option("--output", "-o", metavar="FILE", help="Write the report to FILE (atomically) instead of stdout.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: the CPUs abigate may use; 1 = none). Several artifacts: one "
                   "per worker; a single artifact: its large native files in parallel.")
@click.option("--engine", type=click.Choice(["abigate", "pyelftools"]), default="abigate", show_default=True,
              help="ELF reader: abigate's streaming one, or pyelftools to cross-check (slower; holds "
                   "compressed members in memory).")
@click.option("--quiet", "-q", is_flag=True, help="Only what could not be read, and the summary.")
@click.option("--verbose", "-v", is_flag=True, help="Every symbol and unversioned import, not the first few.")
@click.option(
    "--color",
    "colour",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour the text report (auto: on a terminal, unless NO_COLOR is set).",
)
@click.option("--progress/--no-progress", "show_progress", default=None,
              help="Show progress on stderr after a second (default: only on a terminal, not in CI).")
@click.option("--debug", is_flag=True, help="Show the Python traceback of an internal error.")
def scan(paths: tuple[str, ...], fmt: str, output: str | None, jobs: int | None, engine: str, quiet: bool,
         verbose: bool, colour: str, show_progress: bool | None, debug: bool) -> None:
    """Read every native file (ELF, Mach-O, PE) in wheels, zips, tars, conda packages, folders or files, and
    print its facts and what each input was read as. PATH "-" reads standard input.

    Files are recognised by content, never by name; nested wheels, zips and tars are opened too; nothing is
    extracted.

    \b
    Examples:
      abigate scan dist/*.whl
      abigate scan function.zip -v                    every symbol each file needs
      abigate scan build/ -q                          only what could not be read
      abigate scan dist/*.whl --format json -o facts.json
      docker save app | abigate scan -

    Exit status: 0 all read, 1 something could not be read, 2 usage error.
    """
    from abigate import scanreport
    from abigate.scan import scan_paths

    if quiet and verbose:
        raise UsageError("--quiet and --verbose cannot be used together")

    from abigate.commands.progress import ProgressLine, want_progress

    with ProgressLine(want_progress(show_progress), paths[0]) as progress:
        artifacts = scan_paths(paths, jobs=jobs, progress=progress if progress.enabled else None, engine=engine)
    coloured = fmt == "text" and use_colour(colour, to_file=bool(output))
    text: ReportText
    if fmt == "json":
        text = functools.partial(scanreport.write_json, artifacts)
    else:
        text = functools.partial(scanreport.write_text, artifacts, color=coloured,
                                 verbosity="quiet" if quiet else "verbose" if verbose else "normal")
    if verbose:  # on stderr: the report itself stays the same on every machine
        from abigate import inflate

        from abigate.scan import default_jobs

        workers = jobs or default_jobs()
        how = ("no worker processes" if workers == 1 else
               f"{workers} worker processes ({'one artifact each' if len(paths) > 1 else 'for large files'})")
        click.echo(f"abigate: zip members inflated with {inflate.describe()}; {how}", err=True)
    if output:
        write_atomically(output, text)
    else:
        # click strips ANSI codes when stdout is not a terminal unless told otherwise (--color always).
        to_stdout(text, coloured)
    if scanreport.has_failures(artifacts):
        raise click.exceptions.Exit(1)
