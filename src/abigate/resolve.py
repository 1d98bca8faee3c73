"""DT_NEEDED resolution inside an artifact, the way the target's loader does it. Pure, no I/O.

For every ELF file of one container (a wheel, a zip, a folder) and every name in its ``DT_NEEDED``, this
module decides where the target's loader would find that library: a file *bundled* in the artifact, a
library the *system* (profile) provides, or nowhere. It follows glibc's ``_dl_map_object`` (loader.md §9):

1. if the requester has **no** ``DT_RUNPATH``: the ``DT_RPATH`` of the requester, then of each object that
   loaded it, up the loading chain (an object that has a ``DT_RUNPATH`` contributes no ``DT_RPATH``);
2. ``LD_LIBRARY_PATH``: its entries under one of the profile's ``artifact_roots`` (``/var/task/lib`` on AWS
   Lambda, which unpacks the function at ``/var/task``) are folders of a deploy zip; the others belong to the
   system (the profile's libraries);
3. the requester's own ``DT_RUNPATH`` — **not** its loaders': RUNPATH is not inherited, which is why a
   bundled library's own dependency goes missing when only the extension carries the RUNPATH;
4. the system libraries (``ld.so.cache`` and default directories) — the profile's list.

``$ORIGIN`` is the directory of the object whose entry is being expanded. Paths that leave the artifact
(``$ORIGIN/../../nvidia/cublas/lib``, absolute paths) cannot be judged from the artifact alone and are
recorded as *outside*. Like glibc, a candidate of the wrong ELF class or machine is skipped and the search
goes on; a candidate that is not ELF at all stops it (``invalid ELF header``).

musl (loader.md §9) differs: every object on the chain contributes its RUNPATH, or else its RPATH, and both
are inherited.

A file can be reached through several chains (two extensions loading one bundled library). The first chain
that fails to resolve a name is kept, because that is the load order someone will hit.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from abigate.facts import ArtifactFacts, ElfFacts, NativeFile
from abigate.profile import Library, Profile

__all__ = ["Resolution", "Resolved", "ResolvedKind", "is_importable_extension", "resolve_artifact"]

#: ``bundled`` found in the artifact; ``system`` provided by the target; ``missing`` nowhere;
#: ``outside`` not found, but a search path leaves the artifact (another distribution may hold it);
#: ``unreachable`` a file of that name is in the artifact, but no search path of the requester reaches it;
#: ``not-elf`` the search reached a member that is not an ELF file (text stub, Mach-O…), which stops glibc.
ResolvedKind = Literal["bundled", "system", "missing", "outside", "unreachable", "not-elf"]

#: on a musl target, a glibc object's NEEDED on these libraries is satisfied by musl's single libc (loader.md §8).
_MUSL_MERGED = re.compile(r"^lib(c|pthread|rt|m|dl|util|xnet)\.so(\.\d+)*$")
_MAX_DEPTH = 32


@dataclass(frozen=True, slots=True, kw_only=True)
class Resolved:
    """Where one DT_NEEDED entry of one file resolves."""

    #: member path of the file whose DT_NEEDED this is.
    requester: str
    needed: str
    kind: ResolvedKind
    #: bundled / not-elf: member path of the file found (after following symlinks).
    member: str | None = None
    #: how it was found: ``DT_RPATH of pkg/_ext.so``, ``DT_RUNPATH``, ``system``.
    via: str | None = None
    #: system: the profile's entry.
    library: Library | None = None
    #: the loading chain, the requester first and the first object loaded last.
    chain: tuple[str, ...] = ()
    #: directories inside the artifact that were searched, in order.
    searched: tuple[str, ...] = ()
    #: search path entries that leave the artifact or cannot be expanded, as written.
    outside: tuple[str, ...] = ()
    #: unreachable: members elsewhere in the artifact with that file name.
    candidates: tuple[str, ...] = ()
    #: when the requester has a RUNPATH-less loader chain whose RUNPATH would have found it: that loader.
    runpath_of_loader: str | None = None
    #: glibc, not found: the ELF class (32 or 64) of a file of that name the search met and skipped for
    #: its class. glibc then says ``<needed>: wrong ELF class: ELFCLASS<n>`` (loader.md §2).
    other_class: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Resolution:
    """Every DT_NEEDED entry of one container's ELF files, resolved for one profile."""

    #: (requester member, needed name) → outcome.
    entries: Mapping[tuple[str, str], Resolved] = field(default_factory=dict)
    #: members loaded as dependencies of other members of the artifact.
    dependencies: frozenset[str] = frozenset()

    def get(self, requester: str, needed: str) -> Resolved | None:
        """The outcome for one entry, if the file was resolved."""
        return self.entries.get((requester, needed))

    def for_file(self, requester: str) -> Iterator[Resolved]:
        """Outcomes of one file's DT_NEEDED entries, in no particular order."""
        for (req, _), res in sorted(self.entries.items()):
            if req == requester:
                yield res


def is_importable_extension(nf: NativeFile) -> bool:
    """Whether Python would import *nf* as an extension module.

    A versioned or abi3 suffix counts; a bare ``name.so`` counts only when it exports a Python entry point,
    because bundled libraries (``torch/lib/libtorch.so``) are bare ``.so`` files too. Nothing under a
    ``*.libs/`` folder (where auditwheel grafts libraries) is importable.
    """
    ext = nf.extension
    if ext is None or ext.kind == "windows":
        return False
    if any(part.endswith(".libs") for part in nf.member.split("/")[:-1]):
        return False
    if ext.kind == "bare":
        return nf.elf is not None and bool(nf.elf.python_init_exports)
    return True


def _expand(entry: str, origin_dir: str) -> str | None:
    """Expand one RPATH/RUNPATH entry to a member directory; ``None`` if it leaves the artifact."""
    if "$" in entry:
        entry = entry.replace("${ORIGIN}", "$ORIGIN")
        if not entry.startswith("$ORIGIN") or "$" in entry[len("$ORIGIN") :]:
            # $LIB / $PLATFORM depend on the target's layout, not the artifact's.
            return None
        rest = entry[len("$ORIGIN") :].lstrip("/")
        entry = posixpath.join(origin_dir, rest) if origin_dir else (rest or ".")
    elif entry.startswith("/") or entry == "":
        return None
    else:
        # A relative entry without $ORIGIN is relative to the process's working directory.
        return None
    norm = posixpath.normpath(entry or ".")
    if norm == ".." or norm.startswith("../"):
        return None
    return norm


class _Resolver:
    def __init__(self, artifact: ArtifactFacts, profile: Profile) -> None:
        self.profile = profile
        self.files = {nf.member: nf for nf in artifact.native_files}
        self.links = {link.member: link.resolved for link in artifact.links}
        self.members = frozenset(artifact.members) | frozenset(self.files) | frozenset(self.links)
        by_name: dict[str, list[str]] = {}
        for member in sorted(self.members):
            by_name.setdefault(posixpath.basename(member), []).append(member)
        self.by_name = by_name
        self.entries: dict[tuple[str, str], Resolved] = {}
        self.dependencies: set[str] = set()
        self.musl = profile.libc == "musl"
        # Wheels are installed into site-packages, never unpacked at a deploy root.
        self.deploy_dirs = () if artifact.kind == "wheel" else _deploy_dirs(profile)

    def elf(self, member: str) -> ElfFacts | None:
        nf = self.files.get(member)
        return nf.elf if nf is not None else None

    def search_dirs(self, chain: tuple[str, ...]) -> list[tuple[str | None, str, str]]:
        """(member dir or None, entry as written, via) in search order for the first object of *chain*."""
        requester = chain[0]
        req = self.elf(requester)
        assert req is not None
        out: list[tuple[str | None, str, str]] = []

        def add(obj: str, entries: tuple[str, ...], tag: str) -> None:
            elf = self.elf(obj)
            assert elf is not None
            for entry in entries:
                via = tag if obj == requester else f"{tag} of {obj}"
                out.append((_expand(entry, posixpath.dirname(obj)), entry, via))

        if self.musl:
            # musl: LD_LIBRARY_PATH first, then the RUNPATH (else RPATH) of the requester and its loaders.
            out.extend((rel, target, f"LD_LIBRARY_PATH ({target})") for rel, target in self.deploy_dirs)
            for obj in chain:
                elf = self.elf(obj)
                if elf is None:
                    continue
                if elf.runpath:
                    add(obj, elf.runpath, "DT_RUNPATH")
                else:
                    add(obj, elf.rpath, "DT_RPATH")
            return out
        if not req.runpath:
            for obj in chain:
                elf = self.elf(obj)
                if elf is None or elf.runpath:
                    continue
                add(obj, elf.rpath, "DT_RPATH")
        # LD_LIBRARY_PATH comes after DT_RPATH and before DT_RUNPATH.
        out.extend((rel, target, f"LD_LIBRARY_PATH ({target})") for rel, target in self.deploy_dirs)
        if req.runpath:
            add(requester, req.runpath, "DT_RUNPATH")
        return out

    def lookup(self, path: str, req: ElfFacts) -> tuple[str, str] | None:
        """Follow links from *path*; ("elf"|"not-elf"|"skip", member) or ``None`` if nothing is there."""
        seen = 0
        while path in self.links and seen < 40:
            target = self.links[path]
            if target is None:
                return None
            path, seen = target, seen + 1
        nf = self.files.get(path)
        if nf is not None:
            elf = nf.elf
            if elf is None:
                return ("not-elf", path)
            if elf.elf_class != req.elf_class or elf.machine != req.machine:
                return ("skip", path)
            return ("elf", path)
        if path in self.members:
            return ("not-elf", path)
        return None

    def resolve_one(self, chain: tuple[str, ...], needed: str) -> Resolved:
        requester = chain[0]
        req = self.elf(requester)
        assert req is not None
        if "/" in needed:
            # A path in DT_NEEDED is used as is, relative to the working directory: not judged here.
            return Resolved(
                requester=requester, needed=needed, kind="outside", chain=chain, outside=(needed,)
            )
        searched: list[str] = []
        outside: list[str] = []
        other_class: int | None = None
        for directory, entry, via in self.search_dirs(chain):
            if directory is None:
                outside.append(entry)
                continue
            if directory in searched:
                # Reached again through another entry (/var/task/lib and /opt/lib are both lib/): same answer.
                continue
            searched.append(directory)
            candidate = needed if directory in (".", "") else f"{directory}/{needed}"
            found = self.lookup(candidate, req)
            if found is not None and found[0] == "skip":
                skipped = self.elf(found[1])
                if skipped is not None and skipped.elf_class != req.elf_class and not self.musl:
                    other_class = other_class or skipped.elf_class
            if found is None or found[0] == "skip":
                continue
            found_kind: ResolvedKind = "bundled" if found[0] == "elf" else "not-elf"
            return Resolved(
                requester=requester,
                needed=needed,
                kind=found_kind,
                member=found[1],
                via=via,
                chain=chain,
                searched=tuple(searched),
            )
        lib = self.profile.library(needed)
        if lib is None and self.musl and _MUSL_MERGED.match(needed):
            lib = self.profile.library("libc.so") or Library(soname=needed)
        if lib is not None:
            return Resolved(
                requester=requester,
                needed=needed,
                kind="system",
                via="system",
                library=lib,
                chain=chain,
                searched=tuple(searched),
                outside=tuple(outside),
            )
        candidates = tuple(m for m in self.by_name.get(needed, ()) if m != requester)
        runpath_of_loader = None
        if candidates and not self.musl:
            # The classic: the loader's RUNPATH would have found it, but RUNPATH is not inherited.
            for obj in chain[1:]:
                elf = self.elf(obj)
                if elf is None or not elf.runpath:
                    continue
                for entry in elf.runpath:
                    d = _expand(entry, posixpath.dirname(obj))
                    if d is not None and (f"{d}/{needed}" if d not in (".", "") else needed) in candidates:
                        runpath_of_loader = obj
                        break
                if runpath_of_loader:
                    break
        if candidates:
            kind: ResolvedKind = "unreachable"
        elif outside:
            kind = "outside"
        else:
            kind = "missing"
        return Resolved(
            requester=requester,
            needed=needed,
            kind=kind,
            chain=chain,
            searched=tuple(searched),
            outside=tuple(outside),
            candidates=candidates,
            runpath_of_loader=runpath_of_loader,
            other_class=other_class,
        )

    def visit(self, chain: tuple[str, ...], done: set[tuple[str, ...]]) -> None:
        key = self._chain_key(chain)
        if key in done or len(chain) > _MAX_DEPTH:
            return
        done.add(key)
        elf = self.elf(chain[0])
        if elf is None:
            return
        for needed in elf.needed:
            res = self.resolve_one(chain, needed)
            prev = self.entries.get((chain[0], needed))
            # Keep the first failure; a success never replaces anything.
            if prev is None or (prev.kind in ("bundled", "system") and res.kind not in ("bundled", "system")):
                self.entries[(chain[0], needed)] = res
            if res.kind == "bundled" and res.member is not None and res.member not in chain:
                self.dependencies.add(res.member)
                self.visit((res.member, *chain), done)

    def _chain_key(self, chain: tuple[str, ...]) -> tuple[str, ...]:
        # What a chain contributes beyond the requester is only its inherited search path entries.
        if len(chain) == 1:
            return chain
        inherited: list[str] = [chain[0]]
        for obj in chain[1:]:
            elf = self.elf(obj)
            if elf is None:
                continue
            if self.musl:
                entries = elf.runpath or elf.rpath
            else:
                entries = () if elf.runpath else elf.rpath
            inherited.extend(f"{posixpath.dirname(obj)}:{e}" for e in entries)
            inherited.append(f"runpath:{obj}" if elf.runpath else "")
        return tuple(inherited)


def _deploy_dirs(profile: Profile) -> tuple[tuple[str, str], ...]:
    """(artifact folder, target path) for each search directory that lies inside the deployed artifact.

    The target unpacks a deploy zip at each of ``profile.artifact_roots`` (AWS Lambda: ``/var/task``, or
    ``/opt`` for a layer), so the artifact's folder ``d`` is ``<root>/d`` there and is searched exactly when
    that directory is in ``profile.library_paths`` (Lambda's ``LD_LIBRARY_PATH`` has ``/var/task/lib``: a
    zip's ``lib/libpq.so.5`` is found without any RPATH). Without roots nothing of the artifact is searched.
    """
    roots = [posixpath.normpath(root) for root in profile.artifact_roots]
    out = []
    for path in profile.library_paths:
        target = posixpath.normpath(path)
        for root in roots:
            prefix = root.rstrip("/") + "/"
            if target == root or target.startswith(prefix):
                rel = posixpath.normpath(target[len(prefix) :] if target != root else ".")
                out.append((rel, path))
    return tuple(dict.fromkeys(out))


def resolve_artifact(artifact: ArtifactFacts, profile: Profile) -> Resolution:
    """Resolve every DT_NEEDED entry of every ELF file in *artifact* (not its nested artifacts).

    Roots are the files nothing in the artifact loads: extension modules, executables, and any file no
    other file names in its DT_NEEDED. After walking from them, files that were never reached are walked
    as roots too, so every file's entries are resolved at least once.
    """
    r = _Resolver(artifact, profile)
    elf_members = sorted(m for m, nf in r.files.items() if nf.elf is not None)
    needed_names = {n for m in elf_members for n in r.elf(m).needed}  # type: ignore[union-attr]
    done: set[tuple[str, ...]] = set()
    first = [
        m
        for m in elf_members
        if is_importable_extension(r.files[m]) or posixpath.basename(m) not in needed_names
    ]
    for member in first:
        r.visit((member,), done)
    for member in elf_members:
        if not any(key[0] == member for key in done):
            r.visit((member,), done)
    return Resolution(entries=dict(sorted(r.entries.items())), dependencies=frozenset(r.dependencies))
