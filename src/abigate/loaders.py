"""The dynamic loader of each C library and architecture: the one table every profile check uses.

A glibc or musl target always has its own dynamic loader: it is the program that loads everything else, and
glibc's ``libc.so.6`` itself needs it (``__tls_get_addr``, ``_dl_find_object``…), so real wheels name it in
``DT_NEEDED``. A profile that does not list it rejects those wheels (``ABG401 needs
ld-linux-x86-64.so.2``), so validation demands it (``abigate.profiles._validate.loader_problems``), the
generator writes it into every built-in, and ``profile capture`` / ``from-rootfs`` record it.

Names (docs/loader.md#glibc-or-musl, the ``PT_INTERP`` of each arch's programs, and glibc's ``shlib-versions`` files):

* glibc: ``ld-linux-x86-64.so.2`` (x86_64), ``ld-linux-aarch64.so.1`` (aarch64), ``ld-linux.so.2`` (i686),
  ``ld-linux-armhf.so.3`` (armv7 hard-float), ``ld64.so.2`` (ppc64le), ``ld64.so.1`` (s390x and big-endian
  ppc64), ``ld-linux-riscv64-lp64d.so.1``, ``ld-linux-loongarch-lp64d.so.1``.
* musl: the loader is the C library, ``ld-musl-<march>.so.1`` with musl's own arch name (``i386``,
  ``armhf``, ``powerpc64le`` …); Alpine adds the alias ``libc.musl-<CARCH>.so.1`` with Alpine's arch name
  (``x86``, ``armv7``, ``ppc64le`` …), which musl-linked objects built on Alpine may name in DT_NEEDED.
"""

from __future__ import annotations

__all__ = ["GLIBC_LOADERS", "GLIBC_LOADER_PATHS", "alpine_libc_alias", "loader_soname", "loader_sonames",
           "musl_loader"]

#: ``uname -m`` architecture → glibc's dynamic loader soname.
GLIBC_LOADERS: dict[str, str] = {
    "x86_64": "ld-linux-x86-64.so.2",
    "aarch64": "ld-linux-aarch64.so.1",
    "i686": "ld-linux.so.2",
    "armv7l": "ld-linux-armhf.so.3",
    "ppc64le": "ld64.so.2",
    "ppc64": "ld64.so.1",
    "s390x": "ld64.so.1",
    "riscv64": "ld-linux-riscv64-lp64d.so.1",
    "loongarch64": "ld-linux-loongarch-lp64d.so.1",
}

#: where glibc programs expect their loader (``PT_INTERP``; docs/loader.md#glibc-or-musl), for trees read from disk.
GLIBC_LOADER_PATHS: dict[str, str] = {
    "x86_64": "/lib64/ld-linux-x86-64.so.2",
    "aarch64": "/lib/ld-linux-aarch64.so.1",
    "i686": "/lib/ld-linux.so.2",
    "armv7l": "/lib/ld-linux-armhf.so.3",
    "ppc64le": "/lib64/ld64.so.2",
    "ppc64": "/lib64/ld64.so.1",
    "s390x": "/lib/ld64.so.1",
    "riscv64": "/lib/ld-linux-riscv64-lp64d.so.1",
    "loongarch64": "/lib64/ld-linux-loongarch-lp64d.so.1",
}

#: ``uname -m`` architecture → musl's arch name in ``ld-musl-<name>.so.1``.
_MUSL_ARCH: dict[str, str] = {
    "x86_64": "x86_64", "aarch64": "aarch64", "i686": "i386", "armv7l": "armhf", "ppc64le": "powerpc64le",
    "s390x": "s390x", "riscv64": "riscv64", "loongarch64": "loongarch64",
}

#: ``uname -m`` architecture → Alpine's ``CARCH`` in ``libc.musl-<CARCH>.so.1``.
_ALPINE_ARCH: dict[str, str] = {
    "x86_64": "x86_64", "aarch64": "aarch64", "i686": "x86", "armv7l": "armv7", "ppc64le": "ppc64le",
    "s390x": "s390x", "riscv64": "riscv64", "loongarch64": "loongarch64",
}


def musl_loader(arch: str) -> str | None:
    """``ld-musl-x86_64.so.1`` for *arch*, ``None`` for an architecture musl does not support here."""
    name = _MUSL_ARCH.get(arch)
    return f"ld-musl-{name}.so.1" if name else None


def alpine_libc_alias(arch: str) -> str | None:
    """Alpine's ``libc.musl-<CARCH>.so.1`` alias of musl's loader for *arch*, if known."""
    name = _ALPINE_ARCH.get(arch)
    return f"libc.musl-{name}.so.1" if name else None


def loader_soname(libc: str, arch: str) -> str | None:
    """The dynamic loader every *libc* target of *arch* has; ``None`` when the table does not know it.

    >>> loader_soname("glibc", "x86_64"), loader_soname("musl", "aarch64")
    ('ld-linux-x86-64.so.2', 'ld-musl-aarch64.so.1')
    """
    if libc == "glibc":
        return GLIBC_LOADERS.get(arch)
    if libc == "musl":
        return musl_loader(arch)
    return None


def loader_sonames(libc: str, arch: str) -> tuple[str, ...]:
    """Every name the loader is provided under on a typical target: glibc's one soname; musl's loader plus
    Alpine's ``libc.musl-*`` alias. Built-in profiles list all of them; validation demands the first."""
    first = loader_soname(libc, arch)
    if first is None:
        return ()
    if libc == "musl":
        alias = alpine_libc_alias(arch)
        return (first, alias) if alias else (first,)
    return (first,)
