"""conda packages: recognising the two formats and reading ``info/index.json``. Pure: no I/O.

* ``.conda`` (conda-package-handling v2): a zip holding ``metadata.json``, ``info-<name>.tar.zst`` (the
  ``info/`` folder) and ``pkg-<name>.tar.zst`` (the files installed into the environment);
* legacy ``.tar.bz2``: one tar holding ``info/`` next to the installed files.

Both are recognised by their members, never by the file name. The installed tree is judged like any other
tree by the scanner; this module only reads what the package says about where it may be installed —
``subdir`` (the platform folder: ``linux-64``, ``linux-aarch64``, ``osx-arm64``, ``win-64``, ``noarch``…)
and ``depends`` (whose ``__glibc >=2.17`` virtual package states the lowest glibc it needs) — for rule
ABG307.
"""

from __future__ import annotations

import re

from abigate.facts import CondaInfo

__all__ = [
    "INDEX_JSON",
    "SUBDIR_ARCH",
    "glibc_floor",
    "is_dot_conda",
    "parse_index",
    "subdir_platform",
]

#: the member that describes a conda package (in the legacy tar, and inside ``info-*.tar.zst``).
INDEX_JSON = "info/index.json"

#: conda's Linux ``subdir`` suffix → the ELF machine name abigate's profiles use.
SUBDIR_ARCH = {
    "64": "x86_64",
    "32": "i686",
    "aarch64": "aarch64",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "armv6l": "armv7l",
    "armv7l": "armv7l",
    "riscv64": "riscv64",
}

_GLIBC = re.compile(r"^__glibc(?:\s+(?P<spec>\S.*))?$")
_LOWER = re.compile(r">=\s*(?P<ver>\d+\.\d+)")


def is_dot_conda(names: list[str]) -> bool:
    """Whether a zip's member *names* are a ``.conda`` package: ``metadata.json`` and a ``pkg-*.tar.zst``."""
    top = [n for n in names if "/" not in n]
    return "metadata.json" in top and any(n.startswith("pkg-") and n.endswith(".tar.zst") for n in top)


def parse_index(text: str) -> CondaInfo | None:
    """The :class:`CondaInfo` of an ``info/index.json`` text, or ``None`` when it is not a JSON object.

    >>> parse_index('{"name": "x", "version": "1", "build": "h1_0", "subdir": "linux-64", '
    ...             '"depends": ["__glibc >=2.17,<3.0.a0"]}').subdir
    'linux-64'
    """
    import json  # only conda packages need it: kept off the start-up of every other run

    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
        return None
    if not isinstance(data, dict):
        return None
    depends = data.get("depends")
    deps = tuple(str(d) for d in depends) if isinstance(depends, list) else ()
    return CondaInfo(
        name=str(data.get("name", "")),
        version=str(data.get("version", "")),
        build=str(data.get("build", "")),
        subdir=str(data.get("subdir", "")),
        depends=deps,
    )


def subdir_platform(subdir: str) -> tuple[str, str | None]:
    """``(operating system, ELF arch)`` of a ``subdir``: ``("linux", "x86_64")`` for ``linux-64``,
    ``("noarch", None)``, ``("osx", None)`` for ``osx-arm64``; an unknown Linux suffix keeps ``None``.

    >>> subdir_platform("linux-aarch64"), subdir_platform("win-64"), subdir_platform("noarch")
    (('linux', 'aarch64'), ('win', None), ('noarch', None))
    """
    system, _, suffix = subdir.partition("-")
    if system == "linux":
        return "linux", SUBDIR_ARCH.get(suffix)
    return system, None


def glibc_floor(depends: tuple[str, ...]) -> tuple[str, str] | None:
    """``(dependency as written, lowest glibc "2.x")`` from a ``__glibc >=2.x`` entry of *depends*.

    >>> glibc_floor(("python >=3.11", "__glibc >=2.28,<3.0.a0"))
    ('__glibc >=2.28,<3.0.a0', '2.28')
    >>> glibc_floor(("libgcc >=13",)) is None
    True
    """
    for dep in depends:
        match = _GLIBC.match(dep.strip())
        if match is None:
            continue
        spec = match.group("spec") or ""
        lower = _LOWER.search(spec)
        return dep, lower.group("ver") if lower else ""
    return None
