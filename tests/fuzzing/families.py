"""The families of hostile input, and how to rebuild any case from (family, seed, index)."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

from fuzzing.archives import gen_tar_image
from fuzzing.case import Case
from fuzzing.elfs import gen_amplification, gen_elf
from fuzzing.foreign import gen_macho_pe
from fuzzing.fs import gen_rootfs, gen_special
from fuzzing.texts import gen_cli, gen_config, gen_profile
from fuzzing.zips import gen_resource, gen_zip

__all__ = ["FAMILIES", "WEIGHTS", "make_case"]

FAMILIES: dict[str, Callable[[random.Random, Path], Case]] = {
    "zip": gen_zip,
    "resource": gen_resource,
    "elf": gen_elf,
    "amplification": gen_amplification,
    "macho-pe": gen_macho_pe,
    "tar-image": gen_tar_image,
    "profile": gen_profile,
    "config": gen_config,
    "cli": gen_cli,
    "rootfs": gen_rootfs,
    "special": gen_special,
}

#: share of each family in a long run: cheap mutations dominate; bombs, giants, profiles and root filesystems
#: cost 10-100 times more to make and to read, and a thousand of each already covers their kinds many times
#: over. With this mix two shared cores reach 100,000 inputs in an hour (docs/reliability.md).
WEIGHTS: dict[str, float] = {
    "zip": 24,
    "elf": 30,
    "resource": 0.5,
    "amplification": 1,
    "macho-pe": 8,
    "tar-image": 6,
    "profile": 6,
    "config": 4,
    "cli": 5,
    "rootfs": 2,
    "special": 1,
}


def make_case(family: str, seed: int, index: int, workdir: Path) -> Case:
    """Case *index* of *family* for *seed*, written to a new folder under *workdir* (same bytes each time)."""
    rng = random.Random(f"abigate-fuzz/{seed}/{family}/{index}")
    folder = workdir / f"{family}-{index}"
    folder.mkdir(parents=True)
    return FAMILIES[family](rng, folder)
