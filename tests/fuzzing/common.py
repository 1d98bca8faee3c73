"""Helpers every family uses: the command a user runs on an artifact, and small random values."""

from __future__ import annotations

import random

from fuzzing.seeds import profile_ids

__all__ = ["INTERESTING", "artifact_argv", "interesting_int"]

#: integers that break naive arithmetic: zero, one, signs, powers of two and their neighbours.
INTERESTING = (
    0,
    1,
    2,
    3,
    7,
    8,
    16,
    64,
    255,
    256,
    1000,
    4095,
    4096,
    65535,
    65536,
    0x7FFF,
    0x8000,
    0xFFFF,
    0x7FFFFFFF,
    0x80000000,
    0xFFFFFFFF,
    1 << 32,
    (1 << 63) - 1,
    1 << 63,
    (1 << 64) - 1,
)


def interesting_int(rng: random.Random, bits: int) -> int:
    """An interesting value that fits in *bits* bits."""
    mask = (1 << bits) - 1
    if rng.random() < 0.2:
        return rng.getrandbits(bits)
    return rng.choice(INTERESTING) & mask


def artifact_argv(rng: random.Random, path: str, *, engines: bool = False) -> list[str]:
    """How a user would run abigate on an artifact: a ``check`` against built-in profiles or a ``scan``."""
    roll = rng.random()
    if roll < 0.55:
        argv = ["check", path, *profile_ids(rng)]
        argv += rng.choice(([], ["-q"], ["--format", "json"], ["-v"], ["--format", "github"]))
    else:
        argv = ["scan", path]
        argv += rng.choice(([], ["-q"], ["--format", "json"], ["-v"]))
        if engines and rng.random() < 0.15:
            argv += ["--engine", "pyelftools"]
    if rng.random() < 0.1:
        argv += ["-j", "1"]
    return argv
