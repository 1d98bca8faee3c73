"""What abigate observed in an artifact: frozen data, no judgement, no I/O.

The scanner (``scan.py``) produces these; rules read them. A fact never says "bad": whether a
``GLIBC_2.34`` requirement is a problem depends on the profile, and that is the rules' business.

Layout of the model::

    ArtifactFacts            one artifact given on the command line (wheel, zip, tar, conda package, folder, file)
      ├─ WheelInfo           filename tags and WHEEL metadata, when it is a wheel
      ├─ Distribution*       every ``*.dist-info`` found inside, with the files RECORD lists
      ├─ NativeFile*         every member whose *content* is ELF, Mach-O or PE
      │    └─ ElfFacts | MachOFacts | PeFacts
      ├─ Link*               symlink members (zip entries with a link mode, symlinks in folders)
      ├─ Problem*            what could not be read, and why (corrupt, encrypted, bomb, traversal…)
      └─ ArtifactFacts*      nested wheels, zips and tars (``bundle.zip!pkg.whl``, ``x.conda!pkg-x.tar.zst``)

Paths use ``!`` between a container and a member: ``bundle.zip!cryptography-46.0.3-….whl!cryptography/x.so``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from abigate._records import Record, field
from abigate.symver import max_node

__all__ = [
    "ArtifactFacts",
    "ArtifactKind",
    "CondaInfo",
    "Distribution",
    "ElfFacts",
    "ExtensionSuffix",
    "GnuProperty",
    "LibcFlavour",
    "Link",
    "LoadSegment",
    "MachOArch",
    "MachOFacts",
    "NativeFile",
    "NativeKind",
    "PeFacts",
    "Problem",
    "VersionDef",
    "VersionNeed",
    "WheelInfo",
]

#: ``tar`` is any member of the tar family (plain or compressed), ``sdist`` a source distribution tarball,
#: ``conda`` a conda package (``.conda`` zip or legacy ``.tar.bz2``). How exactly it was read is ``read_as``.
ArtifactKind = Literal["wheel", "zip", "directory", "file", "tar", "sdist", "conda", "image"]
NativeKind = Literal["elf", "macho", "pe"]
LibcFlavour = Literal["glibc", "musl", "none", "unknown"]
ElfType = Literal["relocatable", "executable", "pie", "shared", "core", "other"]


class VersionNeed(Record):
    """One ``Elf_Vernaux`` of ``.gnu.version_r``: a version node this file requires from a library."""

    #: the library that must define the node (``vn_file``), e.g. ``libc.so.6``.
    library: str
    #: the node name, e.g. ``GLIBC_2.33``.
    version: str
    #: ``vna_hash`` (ELF hash of the name), which the loader compares first.
    hash: int
    #: ``vna_flags & VER_FLG_WEAK``: a missing weak node is not fatal.
    weak: bool
    #: ``vna_other``: the index that ``.gnu.version`` entries use to point at this node.
    index: int
    #: undefined dynamic symbols bound to this node, sorted. Empty for marker nodes
    #: such as ``GLIBC_ABI_DT_RELR`` that no symbol uses.
    symbols: tuple[str, ...] = ()

    def __init__(self, *, library: str, version: str, hash: int, weak: bool, index: int,
                 symbols: tuple[str, ...] = ()) -> None:
        # Written out: a few per ELF file read (20,000 files of a zip), where the generic record __init__
        # costs half as much again. tests/test_records.py checks it against the fields.
        _set = object.__setattr__
        _set(self, "library", library)
        _set(self, "version", version)
        _set(self, "hash", hash)
        _set(self, "weak", weak)
        _set(self, "index", index)
        _set(self, "symbols", symbols)


class VersionDef(Record):
    """One ``Elf_Verdef`` of ``.gnu.version_d``: a version node this file defines."""

    #: the node name (the first ``Elf_Verdaux``).
    name: str
    #: ``vd_ndx``.
    index: int
    #: ``vd_flags``; ``VER_FLG_BASE`` (1) marks the entry that names the file itself (its SONAME).
    flags: int
    #: ``vd_hash``.
    hash: int
    #: names of the parent nodes (the following ``Elf_Verdaux`` entries).
    parents: tuple[str, ...] = ()

    @property
    def is_base(self) -> bool:
        """True for the entry that only names the file (``VER_FLG_BASE``), which no symbol can require."""
        return bool(self.flags & 1)


class LoadSegment(Record):
    """One ``PT_LOAD`` program header."""

    offset: int
    vaddr: int
    filesz: int
    memsz: int
    align: int
    #: ``p_flags`` (PF_X 1, PF_W 2, PF_R 4).
    flags: int


class GnuProperty(Record):
    """One entry of a ``NT_GNU_PROPERTY_TYPE_0`` note (``.note.gnu.property``)."""

    #: ``pr_type``, e.g. ``0xc0008002`` (GNU_PROPERTY_X86_ISA_1_NEEDED).
    type: int
    #: the property data read as an unsigned integer (``pr_datasz`` 4 or 8); ``None`` for other sizes.
    value: int | None


class ExtensionSuffix(Record):
    """What a Python extension module's file name says about the interpreter it was built for.

    ``_rust.abi3.so`` → ``kind="abi3"``; ``x.cpython-312-x86_64-linux-gnu.so`` → ``kind="cpython"``,
    ``python_version=(3, 12)``, ``platform="x86_64-linux-gnu"``; plain ``x.so`` → ``kind="bare"``.
    """

    #: the module name (the part before the first dot), which must match ``PyInit_<module>``.
    module: str
    #: the suffix as written, starting with the first dot after the module name.
    suffix: str
    #: ``cpython`` (versioned), ``abi3``, ``abi3t``, ``bare`` (``.so`` only), ``pypy``, ``windows`` (``.pyd``).
    kind: Literal["cpython", "abi3", "abi3t", "bare", "pypy", "windows"]
    #: ``(3, 12)`` for ``cpython-312``; ``None`` when the name carries no version.
    python_version: tuple[int, int] | None = None
    #: ABI flags after the version: ``t`` free-threaded, ``d`` debug, ``m`` pymalloc (≤ 3.7).
    abi_flags: str = ""
    #: multiarch triplet, e.g. ``x86_64-linux-gnu``, ``aarch64-linux-musl``, or a Windows tag ``win_amd64``.
    platform: str | None = None


class ElfFacts(Record):
    """Everything abigate read from one ELF file. All names are as stored in the file."""

    #: 32 or 64 (``EI_CLASS``).
    elf_class: Literal[32, 64]
    #: ``EI_DATA``.
    byte_order: Literal["little", "big"]
    #: ``e_machine``.
    machine: int
    #: architecture name for ``e_machine`` (``x86_64``, ``aarch64``, ``i686``, ``armv7l``…); ``em-<n>`` if unknown.
    arch: str
    #: ``e_flags`` (ppc64 ABI version, RISC-V float ABI, ARM EABI…).
    flags: int
    #: ``EI_OSABI`` (0 SYSV, 3 GNU/Linux).
    osabi: int
    #: ``EI_ABIVERSION``.
    abi_version: int
    #: ``EI_VERSION`` and ``e_version`` (both must be 1).
    ident_version: int
    version: int
    #: True when ``e_ident`` bytes 9–15 are not all zero.
    nonzero_padding: bool
    #: ``e_type`` as a word; ``pie`` is ``ET_DYN`` with ``DF_1_PIE`` (or with ``PT_INTERP`` and an entry point).
    type: ElfType
    #: raw ``e_type``.
    e_type: int
    #: whether a ``PT_DYNAMIC`` segment exists (static executables and ``.o`` files have none).
    has_dynamic: bool
    soname: str | None = None
    needed: tuple[str, ...] = ()
    rpath: tuple[str, ...] = ()
    runpath: tuple[str, ...] = ()
    #: ``PT_INTERP``: the program interpreter an executable asks for.
    interpreter: str | None = None
    libc: LibcFlavour = "unknown"
    #: why ``libc`` was decided, e.g. ``("PT_INTERP /lib/ld-musl-x86_64.so.1",)``.
    libc_evidence: tuple[str, ...] = ()
    version_needs: tuple[VersionNeed, ...] = ()
    version_defs: tuple[VersionDef, ...] = ()
    #: undefined dynamic symbols that name no version (the C API of CPython, or anything linked unversioned).
    unversioned_imports: tuple[str, ...] = ()
    #: undefined dynamic symbols bound weakly (``STB_WEAK``), whatever their version.
    weak_imports: tuple[str, ...] = ()
    #: exported module entry points: ``PyInit_*``, ``PyInitU_*``, ``PyModExport_*`` (defined, default visibility).
    python_init_exports: tuple[str, ...] = ()
    #: number of ``.dynsym`` entries (from ``DT_HASH`` or by walking ``DT_GNU_HASH``).
    dynamic_symbol_count: int = 0
    #: ``p_flags`` of ``PT_GNU_STACK``; ``None`` when the segment is absent.
    gnu_stack_flags: int | None = None
    load_segments: tuple[LoadSegment, ...] = ()
    gnu_properties: tuple[GnuProperty, ...] = ()
    #: ``DT_FLAGS`` and ``DT_FLAGS_1`` (0 when absent).
    dt_flags: int = 0
    dt_flags_1: int = 0
    #: ``DT_RELR`` present (packed relative relocations).
    has_relr: bool = False
    #: ``DT_TEXTREL`` or ``DF_TEXTREL``.
    has_textrel: bool = False
    #: ``PT_TLS`` ``p_memsz`` (``None`` without TLS).
    tls_size: int | None = None
    #: ``DT_AUDIT``/``DT_DEPAUDIT``/``DT_FILTER``/``DT_AUXILIARY`` names, rarely present.
    filters: tuple[str, ...] = ()
    #: non-fatal anomalies met while reading (a table cut short, an offset outside the file…).
    anomalies: tuple[str, ...] = ()

    # -- derived views -------------------------------------------------------------------------------

    @property
    def exec_stack(self) -> bool:
        """Whether the loader must make the stack executable for this file.

        ``PT_GNU_STACK`` with ``PF_X`` says so; without ``PT_GNU_STACK`` the architecture default applies
        (executable on x86, arm32, ppc32, s390, mips…, not on aarch64, riscv, loongarch, ppc64), as in
        glibc's ``sysdeps/<arch>/stackinfo.h``.
        """
        if self.gnu_stack_flags is not None:
            return bool(self.gnu_stack_flags & 1)
        if not self.load_segments:
            # Nothing is mapped (a relocatable ``.o``, a core file): the loader never gets to the stack.
            return False
        return self.arch not in _NOEXEC_STACK_DEFAULT

    @property
    def x86_isa_needed(self) -> int | None:
        """``GNU_PROPERTY_X86_ISA_1_NEEDED`` bit mask, or ``None`` when the note is absent."""
        return self.gnu_property(0xC0008002)

    @property
    def x86_isa_level(self) -> int | None:
        """The x86-64 micro-architecture level the file declares it needs (1–4), from its highest bit."""
        mask = self.x86_isa_needed
        if not mask:
            return None
        return mask.bit_length()

    def gnu_property(self, pr_type: int) -> int | None:
        """The value of one GNU property, or ``None``."""
        for prop in self.gnu_properties:
            if prop.type == pr_type:
                return prop.value
        return None

    @property
    def min_load_alignment(self) -> int | None:
        """The smallest ``p_align`` of the ``PT_LOAD`` segments."""
        return min((seg.align for seg in self.load_segments), default=None)

    @property
    def max_glibc(self) -> str | None:
        """The numerically highest ``GLIBC_x.y`` node required from any library (``None`` if none)."""
        return max_node((need.version for need in self.version_needs), prefix="GLIBC")

    def max_version(self, prefix: str) -> str | None:
        """The numerically highest required node with *prefix* (``GLIBCXX``, ``CXXABI``, ``GCC``…)."""
        return max_node((need.version for need in self.version_needs), prefix=prefix)

    @property
    def static_tls(self) -> bool:
        """``DF_STATIC_TLS``: the file uses initial-exec TLS and needs room in the static TLS block."""
        return bool(self.dt_flags & 0x10)


#: architectures whose default (no ``PT_GNU_STACK``) is a non-executable stack (docs/loader.md#executable-stack).
_NOEXEC_STACK_DEFAULT = frozenset({"aarch64", "aarch64_be", "riscv64", "riscv32", "loongarch64", "ppc64", "ppc64le"})


class MachOArch(Record):
    """One architecture slice of a Mach-O file."""

    #: ``x86_64``, ``arm64``, ``i386``, ``arm64e``…; ``cpu-<n>`` when unknown.
    arch: str
    cputype: int
    cpusubtype: int
    #: ``MH_BUNDLE`` (8), ``MH_DYLIB`` (6), ``MH_EXECUTE`` (2)…
    filetype: int
    #: minimum OS version from ``LC_BUILD_VERSION`` or ``LC_VERSION_MIN_*``, e.g. ``"11.0"``.
    min_os: str | None = None
    #: ``macos``, ``ios``…, when ``LC_BUILD_VERSION`` names it.
    platform: str | None = None
    #: ``LC_LOAD_DYLIB`` (and weak/reexport) install names.
    dylibs: tuple[str, ...] = ()


class MachOFacts(Record):
    """A Mach-O file, thin (one slice) or fat (several)."""

    fat: bool
    arches: tuple[MachOArch, ...]


class PeFacts(Record):
    """A PE/COFF file (Windows DLL, ``.pyd`` or ``.exe``)."""

    #: COFF ``Machine`` (0x14c i386, 0x8664 AMD64, 0xaa64 ARM64).
    machine: int
    #: ``x86``, ``x86_64``, ``arm64``, or ``pe-<hex>``.
    arch: str
    #: ``PE32`` or ``PE32+`` (``None`` for an object file without optional header).
    format: str | None
    #: DLLs named in the import directory, when it could be read.
    imports: tuple[str, ...] = ()


class NativeFile(Record):
    """One member (or file) whose content is a native binary."""

    #: full display path, containers joined by ``!``.
    path: str
    #: path inside the innermost container (or relative to the scanned folder), ``/``-separated.
    member: str
    #: uncompressed size in bytes.
    size: int
    kind: NativeKind
    elf: ElfFacts | None = None
    macho: MachOFacts | None = None
    pe: PeFacts | None = None
    #: the file-name suffix parsed as a Python extension module, when the name looks like one.
    extension: ExtensionSuffix | None = None
    #: ``name==version`` of the ``.dist-info`` whose RECORD lists this file (``None`` if none does).
    distribution: str | None = None
    #: why the content could not be read past its magic (truncated, malformed); ``None`` when read fine.
    error: str | None = None
    #: the budget (``abigate.limits``) the reading stopped at, when one did: ``error`` is set too, and the
    #: file is reported as ABG005 rather than as malformed (ABG002).
    budget: str | None = None


class Link(Record):
    """A symbolic link inside the artifact (a zip entry with ``S_IFLNK`` mode, or a link in a folder)."""

    #: display path of the link.
    path: str
    #: path of the link relative to the artifact root.
    member: str
    #: the link text as stored.
    target: str
    #: the target resolved relative to the artifact root, or ``None`` when it leaves the artifact.
    resolved: str | None


class Distribution(Record):
    """A ``*.dist-info`` directory found in the artifact."""

    #: ``Name`` and ``Version`` from its ``METADATA``; from the folder name when METADATA does not say.
    name: str
    version: str
    #: path of the ``.dist-info`` directory relative to the container root.
    dist_info: str
    #: the folder the distribution is installed into (``""`` at the root, ``python/`` for a Lambda layer…).
    root: str
    #: the tags its ``WHEEL`` file's ``Tag`` lines stand for, compressed sets expanded (``packaging.tags``),
    #: sorted; empty when there is no WHEEL file.
    wheel_tags: tuple[str, ...] = ()
    #: files listed in ``RECORD``, relative to the container root (``None`` when there is no RECORD).
    record: tuple[str, ...] | None = None

    @property
    def key(self) -> str:
        """``name==version``, the identifier native files refer to."""
        return f"{self.name}=={self.version}"


class WheelInfo(Record):
    """What a wheel's file name and ``WHEEL`` metadata claim."""

    name: str
    version: str
    build: str | None
    #: expanded tags from the file name, e.g. ``("cp312-cp312-manylinux_2_17_x86_64", …)``, sorted.
    filename_tags: tuple[str, ...]
    #: tags of ``*.dist-info/WHEEL``, compressed sets expanded as for the file name, sorted (empty when the
    #: file is missing), so the two compare as sets.
    metadata_tags: tuple[str, ...] = ()
    root_is_purelib: bool | None = None


class Problem(Record):
    """Something in the artifact that could not be read or is unsafe; never silently skipped."""

    #: display path of the member (or the artifact itself).
    path: str
    #: stable kind, e.g. ``corrupt-archive``, ``encrypted``, ``zip-bomb``, ``path-traversal``,
    #: ``symlink-escape``, ``duplicate-name``, ``nesting-too-deep``, ``unsupported-compression``,
    #: ``truncated``, ``malformed-elf``, ``unreadable``, ``too-many-members``, ``nested-too-large``,
    #: ``budget-exceeded`` (a budget of ``abigate.limits`` was hit: reported as ABG005); in tars
    #: also ``tar-bomb`` (a declared size or the stream's expansion over the limits), ``special-file`` (device
    #: or FIFO), ``link-target-missing`` (a hard link to no earlier member).
    kind: str
    #: one line for a person.
    message: str


class CondaInfo(Record):
    """What a conda package's ``info/index.json`` says about where it may be installed."""

    name: str
    version: str
    build: str
    #: the platform folder it was built for: ``linux-64``, ``linux-aarch64``, ``osx-arm64``, ``noarch``…
    subdir: str
    #: the ``depends`` entries as written (``"__glibc >=2.17,<3.0.a0"``, ``"python >=3.11,<3.12.0a0"``…).
    depends: tuple[str, ...] = ()


class ArtifactFacts(Record):
    """Everything read from one artifact."""

    #: display path (the path as given, or ``outer!inner`` for a nested one).
    path: str
    kind: ArtifactKind
    #: what the reader understood the input to be, for people: ``wheel``, ``zip``, ``tar.gz``, ``tar.zst``,
    #: ``sdist (tar.gz)``, ``conda package (.conda)``, ``folder``, ``file``, ``docker image with 3 layers``…
    #: Free text (never parsed); ``kind`` is the stable value for tools.
    read_as: str = ""
    wheel: WheelInfo | None = None
    #: ``info/index.json`` of a conda package (``None`` for anything else).
    conda: CondaInfo | None = None
    distributions: tuple[Distribution, ...] = ()
    native_files: tuple[NativeFile, ...] = ()
    links: tuple[Link, ...] = ()
    problems: tuple[Problem, ...] = ()
    nested: tuple[ArtifactFacts, ...] = ()
    #: number of members (files) seen, and their total uncompressed size.
    member_count: int = 0
    total_size: int = 0
    #: size in bytes of the archive itself, i.e. what would be uploaded: the file size of a wheel or zip on
    #: disk, or for a nested one the size of the member once taken out of its container (its own bytes, not
    #: what it takes compressed inside the outer zip); ``None`` for folders and single files.
    zipped_size: int | None = None
    #: every member path (relative to this container's root) — used to resolve ``$ORIGIN`` paths.
    members: tuple[str, ...] = field(default=(), repr=False)
    #: remarks about the artifact as a whole that are not problems, e.g. that an sdist is built on the target.
    notes: tuple[str, ...] = ()
    #: lower-case hex sha256 of the artifact's bytes as read (``sha256sum``'s digest; for standard input the
    #: bytes read from it); ``None`` for folders and nested artifacts (see :mod:`abigate.digests`).
    sha256: str | None = None

    def walk(self) -> Iterator[ArtifactFacts]:
        """This artifact, then every nested one, depth first."""
        yield self
        for child in self.nested:
            yield from child.walk()

    @property
    def max_glibc(self) -> str | None:
        """The highest ``GLIBC_x.y`` any ELF file in this artifact (nested ones included) requires."""
        return max_node(
            v
            for art in self.walk()
            for nf in art.native_files
            if nf.elf is not None
            for v in (nf.elf.max_glibc,)
            if v is not None
        )
