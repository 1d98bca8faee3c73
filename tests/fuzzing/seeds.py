"""Real inputs to start from: the small ELF, Mach-O and PE files of ``testdata/`` (built from our sources)."""

from __future__ import annotations

import functools
import random
from pathlib import Path

__all__ = ["PROFILES", "ROOT", "elf_files", "native", "pick_elf", "profile_ids"]

ROOT = Path(__file__).resolve().parents[2]
_ELF = ROOT / "testdata" / "elf"
#: built-in profiles an artifact is checked against (glibc old and new, musl, arm64, a policy).
PROFILES = (
    "debian-12",
    "aws-lambda-python3.12",
    "aws-lambda-python3.11-arm64",
    "alpine-3.20",
    "manylinux2014_x86_64",
    "ubuntu-20.04",
    "rhel-8",
)


@functools.cache
def elf_files() -> tuple[tuple[str, bytes], ...]:
    """(relative name, bytes) of every ELF under ``testdata/elf`` smaller than 16 KiB, in a fixed order."""
    found = []
    for p in sorted(_ELF.rglob("*")):
        if p.is_file() and p.stat().st_size < 16384:
            data = p.read_bytes()
            if data[:4] == b"\x7fELF":
                found.append((str(p.relative_to(_ELF)), data))
    return tuple(found)


def pick_elf(rng: random.Random) -> tuple[str, bytes]:
    """A random small real ELF file."""
    return rng.choice(elf_files())


@functools.cache
def native(name: str) -> bytes:
    """A file of ``testdata/elf`` by relative name (the Mach-O and PE seeds live in ``nonelf/``)."""
    return (_ELF / name).read_bytes()


def profile_ids(rng: random.Random) -> list[str]:
    """``-p`` options for one or two built-in profiles."""
    ids = rng.sample(PROFILES, rng.choice((1, 1, 1, 2)))
    return [arg for pid in ids for arg in ("-p", pid)]
