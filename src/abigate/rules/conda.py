"""ABG307 — a conda package's own platform claims (``info/index.json``) against the target.

conda decides whether a package may be installed from its ``subdir`` and its virtual-package dependencies
(``__glibc``), not from the binaries inside; the binaries themselves are judged by the other rules.
"""

from __future__ import annotations

from collections.abc import Iterator

from abigate.conda import glibc_floor, subdir_platform
from abigate.rules._base import Context, Severity, Violation, rule

__all__ = ["conda_platform_rejected"]

_OS_NAMES = {"osx": "macOS", "win": "Windows", "linux": "Linux", "emscripten": "Emscripten", "wasi": "WASI"}


def _version(text: str) -> tuple[int, ...] | None:
    try:
        return tuple(int(p) for p in text.split("."))
    except ValueError:
        return None


@rule("ABG307", "conda-platform-rejected", severity=Severity.ERROR, scope="artifact")
def conda_platform_rejected(ctx: Context) -> Iterator[Violation]:
    """A conda package built for another platform or a newer glibc than the target has.

    What it checks:
    The ``info/index.json`` of a conda package (``.conda`` or legacy ``.tar.bz2``): its ``subdir`` must be
    ``noarch`` or ``linux-<arch>`` for the profile's architecture (``linux-64`` is x86_64,
    ``linux-aarch64``, ``linux-ppc64le``, ``linux-s390x``…); a ``__glibc >=2.x`` entry in ``depends``
    needs a glibc target (not musl) of at least that version.

    Why it matters:
    conda refuses to install such a package on the target (``__glibc`` is a virtual package the solver
    takes from the running system: ``nothing provides __glibc >=2.28 needed by …``); a tree copied out of
    an environment built elsewhere installs nothing and loads binaries built for another system. The
    files inside are judged by the other rules as well; this rule reports the package's own claim, which
    also covers packages whose native files abigate cannot see (compiled at install time, or fetched).

    Example:
    ``numpy-2.1.0-py311h…_0.conda: ABG307 built for linux-64 with __glibc >=2.28,<3.0.a0; the target
    has glibc 2.26``

    How to fix:
    Install the package for the target's platform (``conda create --platform linux-aarch64`` or
    ``CONDA_SUBDIR``); for ``__glibc``, use a build made against an older sysroot (conda-forge's
    ``sysroot_linux-64 2.17``) or a target with a newer glibc.

    References:
    conda docs: "Virtual packages" (``__glibc``), conda-build ``subdir``; conda-package-handling
    (``.conda`` format: ``info-*.tar.zst`` and ``pkg-*.tar.zst``).
    """
    info = ctx.artifact.conda
    if info is None or not info.subdir:
        return
    profile = ctx.profile
    where = ctx.artifact.path
    name = f"{info.name} {info.version}".strip()
    system, arch = subdir_platform(info.subdir)
    if system != "noarch":
        if system != "linux":
            yield Violation(
                message=f"conda package {name} is built for {info.subdir} "
                f"({_OS_NAMES.get(system, system)}); the target is Linux {profile.arch}",
                hint="install the package for the target platform (conda --platform linux-…, CONDA_SUBDIR)",
                path=where,
            )
            return
        if arch is not None and arch != profile.arch:
            yield Violation(
                message=f"conda package {name} is built for {info.subdir} ({arch}); "
                f"the target is {profile.arch}",
                hint="install the package for the target platform (conda --platform linux-…, CONDA_SUBDIR)",
                path=where,
            )
            return
    floor = glibc_floor(info.depends)
    if floor is None:
        return
    dep, lower = floor
    if profile.libc == "musl":
        yield Violation(
            message=f"conda package {name} depends on {dep}; the target uses musl, not glibc",
            hint="install packages built for the target's libc, or choose a glibc target",
            path=where,
        )
        return
    needed = _version(lower) if lower else None
    if needed is not None and needed > tuple(profile.libc_version[: len(needed)]):
        yield Violation(
            message=f"conda package {name} depends on {dep}; "
            f"the target has glibc {profile.libc_version_text}",
            hint=f"install a build made against glibc ≤ {profile.libc_version_text} (an older sysroot), "
            "or target a newer system",
            path=where,
            loader_message=f"nothing provides {dep.split(',')[0]} needed by {info.name}-{info.version}-"
            f"{info.build}",
        )
