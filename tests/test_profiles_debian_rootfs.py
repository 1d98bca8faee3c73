"""The built-in Debian profiles against real Debian trees (debootstrap), when such trees are at hand.

``scripts/realworld.py`` builds Debian 11, 12 and 13 root filesystems (default ``/work/rw/rootfs/<suite>``,
``ABIGATE_ROOTFS_DIR`` to change it; a tree is complete when it holds ``.abigate-ready``). Where they exist,
``abigate profile from-rootfs`` of each must agree with the built-in ``debian-N``: every library the built-in
lists is on the real system under that name, with the same version nodes (``GLIBC_PRIVATE`` aside: derived
profiles never promise it) and the same other file names; and every glibc library of the real system is in
the built-in. Skipped where the trees are missing (they are large and need root to build).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from abigate import glibc_versions as gv
from abigate.loaders import GLIBC_LOADERS
from abigate.profiles import load_profile, parse_profile_text
from abigate.profiles._render import dumps_toml
from abigate.rootfs import profile_from_rootfs

ROOTFS = Path(os.environ.get("ABIGATE_ROOTFS_DIR", "/work/rw/rootfs"))
#: glibc's own unversioned helpers Debian's libc6 installs, besides the GLIBC_FAMILY libraries.
HELPERS = ("libmemusage.so", "libpcprofile.so", "libSegFault.so")


@pytest.mark.parametrize(("suite", "pid"), [("bullseye", "debian-11"), ("bookworm", "debian-12"),
                                            ("trixie", "debian-13")])
def test_builtin_debian_profile_matches_the_real_tree(suite: str, pid: str) -> None:
    tree = ROOTFS / suite
    if not (tree / ".abigate-ready").exists():
        pytest.skip(f"no Debian {suite} tree at {tree}")
    real = parse_profile_text(dumps_toml(profile_from_rootfs(str(tree))), f"rootfs:{tree}")
    builtin = load_profile(pid)
    assert real.arch == builtin.arch and real.libc_version[:2] == builtin.libc_version[:2]
    for soname, lib in builtin.libraries.items():
        found = real.library(soname)
        assert found is not None, f"{pid} lists {soname}; Debian {suite} has no such library"
        nodes = found.versions - {"GLIBC_PRIVATE"}
        assert nodes == lib.versions, (soname, sorted(nodes ^ lib.versions))
        assert found.files == lib.files, (soname, sorted(found.files), sorted(lib.files))
    glibc_names = set(gv.GLIBC_FAMILY) | set(HELPERS) | {GLIBC_LOADERS[real.arch]}
    missing = sorted(name for name in real.libraries if name in glibc_names and builtin.library(name) is None)
    assert not missing, f"{pid} lacks glibc libraries Debian {suite} has: {missing}"
