"""Exceptions abigate raises on purpose.

Every user-facing failure is an :class:`AbigateError`; ``cli.py`` is the only place that turns one into
an exit code (2 for :class:`UsageError` and its kin, 1 never comes from here: gate failures are findings,
not exceptions). Anything else that escapes is an internal error (exit 3).
"""

from __future__ import annotations

__all__ = [
    "AbigateError",
    "ArtifactError",
    "ConfigError",
    "ElfFormatError",
    "ProfileError",
    "UsageError",
]


class AbigateError(Exception):
    """Base class of every error abigate raises deliberately."""

    #: exit status the CLI uses when this error ends a run.
    exit_code = 2


class UsageError(AbigateError):
    """The command line names something that cannot be used (missing path, bad option value)."""


class ConfigError(AbigateError):
    """``[tool.abigate]`` or another configuration source is invalid."""


class ProfileError(AbigateError):
    """A runtime profile cannot be found, parsed or validated.

    :param message: one-line summary.
    :param problems: every individual mistake found, each already formatted as ``field (line N): message``.
    """

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


class ArtifactError(AbigateError):
    """An artifact as a whole cannot be opened (not found, unreadable, not a supported kind)."""


class ElfFormatError(ValueError):
    """Bytes that start like ELF but cannot be parsed as one; the message says what is wrong and where."""
