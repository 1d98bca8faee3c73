"""Every usage error of every command and option is one line, exit 2 (issue 11, following issue 12).

The commands and their options are enumerated from the click tree, so a command or option added later is
covered without editing this file. Run in process: each case fails while click parses, before any work.
"""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest

from abigate.cli import cli, main


def _commands() -> Iterator[tuple[list[str], click.Command]]:
    ctx = click.Context(cli)

    def walk(command: click.Command, path: list[str]) -> Iterator[tuple[list[str], click.Command]]:
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                if sub is not None:
                    yield from walk(sub, [*path, name])
        else:
            yield path, command

    yield from walk(cli, [])


def _cases() -> Iterator[tuple[list[str], str]]:
    """(argv, the command path its hint should name)."""
    yield ["--no-such-option"], "abigate"
    yield ["no-such-command"], "abigate"
    for path, command in _commands():
        where = " ".join(["abigate", *path])
        required = [p for p in command.params if isinstance(p, click.Argument) and p.required]
        fill = ["x"] * sum(max(p.nargs, 1) for p in required)
        yield [*path, *fill, "--no-such-option"], where
        if required:
            yield path, where
        for param in command.params:
            if not isinstance(param, click.Option) or param.is_flag or param.count or param.nargs != 1:
                continue
            opt = param.opts[0]
            yield [*path, *fill, opt], where  # the option's value is missing
            if isinstance(param.type, click.Choice):
                yield [*path, *fill, opt, "no-such-choice"], where
            elif isinstance(param.type, (click.types.IntParamType, click.IntRange)):
                yield [*path, *fill, opt, "not-a-number"], where


CASES = list(_cases())


def test_the_cases_cover_every_command() -> None:
    names = {" ".join(path) for path, _ in _commands()}
    assert {"check", "scan", "rules", "profile show", "profile validate"} <= names
    assert len(CASES) > 40


@pytest.mark.parametrize(("argv", "where"), CASES, ids=[" ".join(argv) for argv, _ in CASES])
def test_usage_error_is_one_line(argv: list[str], where: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("abigate: error: "), err
    if "requires an argument" in err:
        # Click raises this one without a context: the hint must still name the command being parsed.
        assert f"'{where} --help'" in err, err
