"""The ``abigate`` command line: the one place where errors become exit codes.

Exit codes (the same for every subcommand):

* **0** — everything checked is compatible (or the command had nothing to judge);
* **1** — the gate failed: at least one artifact is incompatible or could not be read;
* **2** — usage or configuration error: bad option, unknown profile, missing path, invalid config;
* **3** — internal error in abigate itself (a bug: please report it; ``--debug`` shows the traceback);
* **130** — interrupted (Ctrl-C), as the shell reports a command killed by SIGINT.

Subcommands live in ``abigate.commands.*`` and are imported only when used, so ``abigate --help`` and
``abigate scan`` start fast. A subcommand returns normally for 0, raises :class:`click.exceptions.Exit`
for another status, or raises an :class:`abigate.errors.AbigateError`.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
import traceback
from collections.abc import Sequence

import click

from abigate import __version__
from abigate.errors import AbigateError

__all__ = [
    "EXIT_FAILED", "EXIT_INTERNAL", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "SuggestingGroup", "cli",
    "entry_point", "main", "usage_line",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3

#: subcommand name → "module:attribute"; imported on first use.
_COMMANDS = {
    "scan": "abigate.commands.scan:scan",
    "check": "abigate.commands.check:check",
    "profile": "abigate.commands.profile:profile",
    "rules": "abigate.commands.rules:rules",
    "verify": "abigate.commands.verify:verify",
    "smoke": "abigate.commands.smoke:smoke",
}


class _Interrupted(Exception):
    """Ctrl-C, carried past click: click would turn :class:`KeyboardInterrupt` into ``Abort`` (exit 1)."""


class SuggestingGroup(click.Group):
    """A click group that names the likely command for a mistyped one, in abigate's one-line form.

    click suggests only from the commands it holds (none for the lazy group below) and, before 8.4, not at
    all; ``abigate profile`` uses this class too.
    """

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None,
                                                                           list[str]]:
        name = args[0] if args else ""
        if (name and not name.startswith("-") and not ctx.resilient_parsing
                and self.get_command(ctx, name) is None):
            raise _Usage(f"no such command: {name}", _close(name, self.list_commands(ctx)), ctx)
        return super().resolve_command(ctx, args)


class _LazyGroup(SuggestingGroup):
    """A click group whose subcommands are imported when first needed."""

    def invoke(self, ctx: click.Context) -> object:
        """Run the subcommand; an interrupt leaves as :class:`_Interrupted` so that :func:`main` exits 130.

        Exit 1 means "incompatible" to a CI gate, so an interrupted run must not look like a verdict.
        """
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise _Interrupted() from None

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:  # a subcommand not built yet
            if exc.name == module_name:
                return None
            raise
        command = getattr(module, attr)
        assert isinstance(command, click.Command)
        return command


class _Usage(click.UsageError):
    """A usage error whose one-line text and suggestions are already in abigate's words."""

    def __init__(self, message: str, suggestions: Sequence[str], ctx: click.Context | None) -> None:
        super().__init__(message, ctx)
        self.suggestions = list(suggestions)


def _close(word: str, choices: Sequence[str]) -> list[str]:
    """The *choices* a mistyped *word* probably meant: those it starts (``--p`` → ``--profile, --python``),
    else the closest spellings."""
    import difflib  # only on a usage error

    starts = [c for c in choices if c.startswith(word) and len(word) > 2]
    if starts:
        return starts[:3]
    close = difflib.get_close_matches(word, choices, n=2, cutoff=0.6)
    # Only the spellings about as close as the best: --profle is --profile, not also --progress.
    ratio = {c: difflib.SequenceMatcher(None, word, c).ratio() for c in close}
    return [c for c in close if ratio[c] >= ratio[close[0]] - 0.1]


def _option_names(ctx: click.Context | None) -> list[str]:
    """Every spelling of every option of the command being parsed (``-p``, ``--profile``…)."""
    if ctx is None:
        return []
    return [name for param in ctx.command.get_params(ctx) if isinstance(param, click.Option)
            for name in (*param.opts, *param.secondary_opts)]


#: click's own suggestion at the end of a message ("… Did you mean 'show'?"), replaced by ours.
_CLICK_HINT = re.compile(r"\s*(Did you mean .*\?|\(Possible options: .*\))$")


def usage_line(exc: click.ClickException, command_path: str = "abigate") -> str:
    """One line for a usage error: ``abigate: error: no such option: --pythn (did you mean --python?)``.

    click prints four lines (usage, "Try … --help", a blank, the error); in a CI log the error is what
    matters, and the hint is either the likely spelling or the command whose ``--help`` explains it.
    *command_path* names that command when click gives no context (an option missing its value).
    """
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, _Usage):
        text, close = exc.message, exc.suggestions
    elif isinstance(exc, click.NoSuchOption):
        text = f"no such option: {exc.option_name}"
        close = _close(exc.option_name, _option_names(ctx)) or list(exc.possibilities or ())
    else:
        text = _CLICK_HINT.sub("", exc.format_message()).rstrip(".")
        if text[:1].isupper() and text[1:2].islower():
            text = text[0].lower() + text[1:]
        name = getattr(exc, "command_name", None)  # click >= 8.4 raises NoSuchCommand for a subgroup
        if name:
            text = f"no such command: {name}"
        close = list(getattr(exc, "possibilities", None) or ()) if name else []
    if close:
        text += f" (did you mean {' or '.join(close)}?)"
    elif isinstance(exc, click.UsageError):
        text += f" (see '{ctx.command_path if ctx else command_path} --help')"
    return f"abigate: error: {text}"


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """``abigate, version X (inflate: isal 1.9.1)``: the inflate library decides much of a scan's speed."""
    if not value or ctx.resilient_parsing:
        return
    from abigate import inflate

    click.echo(f"abigate, version {__version__} (inflate: {inflate.describe()})")
    ctx.exit()


_EPILOG = """\b
Examples:
  abigate scan dist/*.whl                       what every native file needs
  abigate check function.zip -p aws-lambda-python3.12-arm64
                                                 gate a deploy zip (exit 1 if it cannot load)
  abigate profile list                           the built-in target runtimes
  abigate rules ABG201                           what one rule checks and how to fix it
  abigate verify function.zip --attestation att.json
                                                 deploy only the bytes that passed (check --attest)

Exit codes: 0 compatible, 1 incompatible or unreadable, 2 usage error, 3 internal error,
130 interrupted (Ctrl-C).
"""


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
             epilog=_EPILOG)
@click.option("-V", "--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the version (and the library that inflates zip members) and exit.")
@click.option("--debug", is_flag=True, help="Show the Python traceback of an internal error.")
def cli(debug: bool) -> None:
    """Check that the native binaries in a wheel, deploy zip or folder will load on the target runtime.

    abigate finds every ELF, Mach-O and PE file by its content, reads what each one needs from the machine
    that loads it (architecture, libc, libraries, symbol versions, executable stack, ISA level, Python ABI)
    and compares that with a runtime profile such as AWS Lambda python3.12 on arm64.
    """


def _command_path(args: Sequence[str]) -> str:
    """``abigate profile show`` for ``["profile", "show", "x", "--python"]``: the (sub)command the words name,
    for a usage error that click raises without saying which command it was parsing."""
    ctx = click.Context(cli, info_name="abigate", resilient_parsing=True)
    command: click.Command = cli
    words = ["abigate"]
    for arg in args:
        if arg.startswith("-") or not isinstance(command, click.Group):
            if isinstance(command, click.Group) and arg in ("--debug",):
                continue
            break
        sub = command.get_command(ctx, arg)
        if sub is None:
            break
        command = sub
        words.append(arg)
    return " ".join(words)


def _debug_requested(args: Sequence[str]) -> bool:
    return "--debug" in args or os.environ.get("ABIGATE_DEBUG", "") not in ("", "0")


#: the shell's status for a command killed by SIGINT (128 + 2), which scripts test for.
EXIT_INTERRUPTED = 130


def _interrupted() -> int:
    """One line and status 130 for Ctrl-C (the scan has already stopped its worker processes)."""
    try:
        click.echo("abigate: interrupted", err=True)
    except OSError:
        pass
    return EXIT_INTERRUPTED


def silence_stdout() -> None:
    """After a broken pipe: point ``sys.stdout`` at the null device, so the flush at exit stays quiet."""
    try:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - kept open until the process ends
    except OSError:
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with *argv* (default ``sys.argv[1:]``) and return the exit status; never raises."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        rv = cli.main(args=args, prog_name="abigate", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        no_args_help = getattr(click.exceptions, "NoArgsIsHelpError", ())
        if isinstance(exc, no_args_help):  # `abigate` or `abigate profile` alone: the help is the answer
            exc.show()
        else:
            click.echo(usage_line(exc, _command_path(args)), err=True)
        return EXIT_USAGE if exc.exit_code == 2 else int(exc.exit_code)
    except _Interrupted:
        return _interrupted()
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):  # an interrupt while click parsed the options
            return _interrupted()
        click.echo("abigate: aborted", err=True)
        return EXIT_FAILED
    except AbigateError as exc:
        click.echo(f"abigate: error: {exc}", err=True)
        for line in getattr(exc, "problems", ()):
            click.echo(f"  {line}", err=True)
        if _debug_requested(args):
            traceback.print_exc()
        return exc.exit_code
    except KeyboardInterrupt:
        return _interrupted()
    except BrokenPipeError:
        # The reader went away (`abigate scan x | head`): not an error of ours.
        silence_stdout()
        return EXIT_OK
    except Exception as exc:  # the single catch-all: anything else is a bug
        if _debug_requested(args):
            traceback.print_exc()
        click.echo(
            f"abigate: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in abigate; please report it with the command you ran (add --debug for the traceback).",
            err=True,
        )
        return EXIT_INTERNAL
    return int(rv) if isinstance(rv, int) else EXIT_OK


def entry_point() -> None:
    """Console-script entry: ``sys.exit(main())``."""
    sys.exit(main())
