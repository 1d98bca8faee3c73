"""The runtime profile: what a target machine provides. Frozen data, no I/O.

A profile is what rules compare facts against. It is built from TOML by ``abigate.profiles`` (loading,
``extends`` resolution, validation, the built-in library); this module only holds the resolved model.

Every set-valued fact remembers whether it was *read* from real files (``exact=True``: a capture or a
rootfs scan) or *derived* from a version number (``exact=False``: e.g. the ``GLIBC_2.x`` nodes of glibc 2.34
computed from glibc's own ABI lists). Rules may word findings differently for derived facts.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

from abigate._records import Record, field

__all__ = [
    "Confidence",
    "Library",
    "Limits",
    "Profile",
    "Provenance",
    "PythonRuntime",
    "Source",
]

#: how sure a fact is, as ``docs/runtimes.md#confidence`` defines it: verified (read in the real files or
#: measured), documented (vendor docs), inferred (derived, to be confirmed), unknown.
Confidence = Literal["verified", "documented", "inferred", "unknown"]


class Source(Record):
    """A citation for profile facts."""

    #: short key used by ``Provenance.sources``, e.g. ``A6``.
    id: str
    #: where the fact can be checked (URL, or ``capture:<host>`` / ``rootfs:<path>`` for generated profiles).
    url: str
    title: str = ""


class Provenance(Record):
    """Where one profile field came from."""

    confidence: Confidence
    sources: tuple[str, ...] = ()
    note: str = ""


class Library(Record):
    """A shared library the target provides on its search path."""

    #: the name ``DT_NEEDED`` entries must match, e.g. ``libc.so.6``.
    soname: str
    #: version nodes the library defines (``GLIBC_2.2.5`` …), without the base (soname) entry.
    #: Empty for an unversioned library.
    versions: frozenset[str] = frozenset()
    #: True when ``versions`` was read from the real file, False when derived from a version number.
    exact: bool = False
    #: where it lives on the target, when known (``/lib64/libc.so.6``).
    path: str | None = None
    #: the library's own version number when known (``2.34`` for glibc, ``3.4.30`` for libstdc++).
    version: str | None = None
    #: other file names the loader finds this library under, besides the soname: the real file
    #: (``libc-2.31.so``, ``libgomp.so.1.0.0``) and other links in a directory searched by file name. A
    #: ``DT_NEEDED`` entry holding such a file name loads this library (glibc looks the name up in the
    #: default directories and ``LD_LIBRARY_PATH``; only its ``ld.so.cache`` is keyed by soname).
    files: frozenset[str] = frozenset()


class PythonRuntime(Record):
    """One Python interpreter on the target."""

    #: ``(3, 12)``.
    version: tuple[int, int]
    implementation: Literal["cpython"] = "cpython"
    #: a free-threaded (``t``) build.
    free_threaded: bool = False
    #: a debug (``d``) build.
    debug: bool = False
    #: ``importlib.machinery.EXTENSION_SUFFIXES`` of that interpreter, best first (computed for the
    #: target by ``abigate.pyabi`` unless captured from the real interpreter).
    extension_suffixes: tuple[str, ...] = ()
    #: wheel tags it accepts, best first (computed for the target, never for the host).
    tags: tuple[str, ...] = ()
    #: whether the interpreter links ``libpython3.X.so`` (then extensions may resolve C-API symbols from it).
    shared_libpython: bool = False
    #: where it lives on the target, when known.
    executable: str | None = None

    @property
    def version_text(self) -> str:
        """``"3.12"`` (plus ``t`` for free-threaded builds)."""
        return f"{self.version[0]}.{self.version[1]}{'t' if self.free_threaded else ''}"


class Limits(Record):
    """Size limits the platform enforces (e.g. AWS Lambda: 250 MB unzipped incl. layers)."""

    max_unzipped_bytes: int | None = None
    max_zipped_bytes: int | None = None


class Profile(Record):
    """A resolved runtime profile (``extends`` already applied)."""

    #: short, guessable id: ``aws-lambda-python3.12-arm64``, ``debian-12``, ``manylinux_2_28_x86_64``.
    id: str
    title: str
    #: ``runtime`` (a serverless or PaaS runtime), ``os`` (a distribution/base image), ``policy``
    #: (a manylinux/musllinux policy), ``captured`` (from a live machine or a rootfs).
    kind: Literal["runtime", "os", "policy", "captured"]
    #: ``uname -m`` style name matching :attr:`abigate.facts.ElfFacts.arch` (``x86_64``, ``aarch64``…).
    arch: str
    #: ``glibc`` or ``musl``.
    libc: Literal["glibc", "musl"]
    #: the C library's version, e.g. ``(2, 34)`` or ``(1, 2, 5)``.
    libc_version: tuple[int, ...]
    #: memory page size in bytes (4096 on x86; 4K, 16K or 64K on aarch64).
    page_size: int = 4096
    #: the x86-64 micro-architecture level every CPU of the target has (1–4), ``None`` when unknown/not x86.
    x86_isa_level: int | None = None
    #: True when the loader refuses objects that need an executable stack (glibc ≥ 2.41 without
    #: ``glibc.rtld.execstack=2``).
    refuses_exec_stack: bool = False
    #: libraries on the target's search path, keyed by soname (see :meth:`library` for file names).
    libraries: Mapping[str, Library] = field(default_factory=lambda: MappingProxyType({}))
    #: the directories the loader searches, in order (``LD_LIBRARY_PATH`` first, then defaults).
    library_paths: tuple[str, ...] = ()
    #: where the target unpacks a deploy zip or folder (AWS Lambda: the function in ``/var/task``, layers in
    #: ``/opt``). A folder ``d`` of such an artifact lands at ``<root>/d``, so it is on the loader's search
    #: path when that directory is in :attr:`library_paths`. Empty: nothing of the artifact is on the system
    #: search path (wheels never are: they are installed into site-packages).
    artifact_roots: tuple[str, ...] = ()
    #: the Python interpreter(s) of the target; the first is the default.
    pythons: tuple[PythonRuntime, ...] = ()
    limits: Limits = Limits()
    os_id: str | None = None
    os_version: str | None = None
    os_name: str | None = None
    extends: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()
    #: provenance per dotted field name (``libc_version``, ``libraries.libstdc++.so.6`` …).
    provenance: Mapping[str, Provenance] = field(default_factory=lambda: MappingProxyType({}))
    #: for ``policy`` profiles: the wheel platform tag the policy stands for (``manylinux_2_28_x86_64``).
    policy_tag: str | None = None
    #: the file the profile was read from (``None`` for built-ins' package resource paths shown as ``builtin:``).
    origin: str | None = None
    #: file name → soname, from :attr:`Library.files` (computed; not part of equality).
    _by_file: Mapping[str, str] = field(init=False, repr=False, compare=False,
                                        default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        index: dict[str, str] = {}
        for soname, lib in sorted(self.libraries.items()):
            for name in sorted(lib.files):
                if name not in self.libraries:
                    index.setdefault(name, soname)
        object.__setattr__(self, "_by_file", MappingProxyType(index))

    @property
    def libc_version_text(self) -> str:
        """``"2.34"``."""
        return ".".join(str(n) for n in self.libc_version)

    def library(self, name: str) -> Library | None:
        """The library the loader finds for the ``DT_NEEDED`` entry *name*, if the target provides one.

        *name* matches a soname first, then any other file name a library is found under
        (:attr:`Library.files`: ``libgomp.so.1.0.0``, ``libc-2.31.so``), as the loader opens files by name.
        """
        lib = self.libraries.get(name)
        if lib is not None:
            return lib
        soname = self._by_file.get(name)
        return self.libraries[soname] if soname is not None else None

    @property
    def python(self) -> PythonRuntime | None:
        """The default Python interpreter (the first), if the profile has one."""
        return self.pythons[0] if self.pythons else None
