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

#: share of each family in a long run: cheap mutations dominate; bombs and giants are costly to make and
#: to read, and a few hundred of each already cover their kinds many times over.
WEIGHTS: dict[str, float] = {
    "zip": 24,
    "elf": 30,
    "resource": 1.5,
    "amplification": 3,
    "macho-pe": 8,
    "tar-image": 9,
    "profile": 9,
    "config": 5,
    "cli": 5,
    "rootfs": 4,
    "special": 1.5,
}


def make_case(family: str, seed: int, index: int, workdir: Path) -> Case:
    """Case *index* of *family* for *seed*, written to a new folder under *workdir* (same bytes each time)."""
    rng = random.Random(f"abigate-fuzz/{seed}/{family}/{index}")
    folder = workdir / f"{family}-{index}"
    folder.mkdir(parents=True)
    return FAMILIES[family](rng, folder)
