"""DT_NEEDED resolution inside an artifact, the way the target's loader does it. Pure, no I/O.

For every ELF file of one container (a wheel, a zip, a folder) and every name in its ``DT_NEEDED``, this
module decides where the target's loader would find that library: a file *bundled* in the artifact, a
library the *system* (profile) provides, or nowhere.

It simulates one load per **root** — each importable extension, each program, each file loaded with
``ctypes`` or as a plugin, and each library that no root reaches — the way glibc's ``_dl_map_object_deps``
does it (``docs/loader-model.md``):

* breadth first, in ``DT_NEEDED`` order: every object is loaded **once per root**, by the first object
  that asks for it, and that object becomes its *loader* for the rest of the search;
* a name is first matched against what is already loaded — by the names objects were loaded under and,
  on glibc, by their ``DT_SONAME`` — and only searched for when nothing matches; a search that ends at a
  file already loaded reuses it;
* the search path of one lookup, glibc's ``_dl_map_object``:

  1. if the requester has **no** ``DT_RUNPATH``: the ``DT_RPATH`` of the requester, then of each object
     that loaded it, up to the root (an object that has a ``DT_RUNPATH`` contributes no ``DT_RPATH``);
  2. ``LD_LIBRARY_PATH``: its entries under one of the profile's ``artifact_roots`` (``/var/task/lib`` on
     AWS Lambda, which unpacks the function at ``/var/task``) are folders of a deploy zip; the others
     belong to the system (the profile's libraries);
  3. the requester's own ``DT_RUNPATH`` — **not** its loaders': RUNPATH is not inherited, which is why a
     bundled library's own dependency goes missing when only the extension carries the RUNPATH;
  4. the system libraries (``ld.so.cache`` and default directories) — the profile's list.

musl differs: every object on the loading chain contributes its RUNPATH, or else its RPATH, and both are
inherited; ``LD_LIBRARY_PATH`` comes first; loaded objects are matched by the name they were asked for
and by file, never by ``DT_SONAME``.

``$ORIGIN`` is the directory of the object whose entry is being expanded. ``$ORIGIN`` paths that leave the
artifact (``$ORIGIN/../../nvidia/cublas/lib``) are another distribution's folder and are recorded as
*outside*, and so are the top-level folders of site-packages that a wheel does not ship itself
(PySide6's ``$ORIGIN/../shiboken6``: the shiboken6 wheel's folder). An absolute path (``/home/ci/build/lib``) is a folder of the target, not of the artifact: what
the target has there is what the profile lists, so a library found nowhere else is *missing*. Like glibc,
a candidate of the wrong ELF class or machine is skipped and the search goes on; a candidate that is not
ELF at all stops it (``invalid ELF header``).

The cost is linear in the dependency graph per root: each (object, name) pair of a root is looked up
once, and lookups with the same inherited search path are shared between roots.

A file can be reached from several roots. Its outcome for a name is the first *failure* met, preferring a
failure on the way to something Python imports or loads over one on the way to a program (a program's
wrapper script may set ``LD_LIBRARY_PATH``); a success never replaces a failure.
"""

from __future__ import annotations

import posixpath
import re
from collections import deque
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Literal

from abigate._records import Record, field, replace
from abigate.facts import ArtifactFacts, ElfFacts, NativeFile
from abigate.limits import MAX_RESOLVER_STEPS
from abigate.profile import Library, Profile
from abigate.roles import Role, assign_roles, is_importable_extension

__all__ = ["Resolution", "Resolved", "ResolvedKind", "is_importable_extension", "resolve_artifact"]

#: ``bundled`` found in the artifact; ``system`` provided by the target; ``missing`` nowhere;
#: ``outside`` not found, but a search path leaves the artifact (another distribution may hold it);
#: ``unreachable`` a file of that name is in the artifact, but no search path of the requester reaches it;
#: ``not-elf`` the search reached a member that is not an ELF file (text stub, Mach-O…), which stops glibc.
ResolvedKind = Literal["bundled", "system", "missing", "outside", "unreachable", "not-elf"]

_FOUND = ("bundled", "system")

#: inherited search path entries kept per loading chain (nearest first). Real chains carry a handful; a
#: crafted chain of 20,000 libraries each with an RPATH would otherwise make every lookup walk all of them.
_MAX_INHERITED = 128
#: objects of a loading chain kept for reports (``loaded via …``), the requester's end first.
_CHAIN_SHOWN = 64

#: musl's loader answers every name that starts with one of these with itself, before any search and whatever
#: files exist (``ldso/dynlink.c``, the "reserved" names): ``libc.musl-x86_64.so.1``, ``libpthread.so.0``,
#: ``libm.so.6`` all are musl's one libc (docs/loader.md#glibc-or-musl).
_MUSL_RESERVED = re.compile(r"^lib(c|pthread|rt|m|dl|util|xnet)\.")


class Resolved(Record):
    """Where one DT_NEEDED entry of one file resolves."""

    #: member path of the file whose DT_NEEDED this is.
    requester: str
    needed: str
    kind: ResolvedKind
    #: bundled / not-elf: member path of the file found (after following symlinks).
    member: str | None = None
    #: how it was found: ``DT_RPATH of pkg/_ext.so``, ``DT_RUNPATH``, ``system``, ``already loaded``.
    via: str | None = None
    #: system: the profile's entry.
    library: Library | None = None
    #: the loading chain, the requester first and the root (what was imported, loaded or run) last.
    chain: tuple[str, ...] = ()
    #: directories inside the artifact that were searched, in order.
    searched: tuple[str, ...] = ()
    #: search path entries that leave the artifact or cannot be expanded, as written.
    outside: tuple[str, ...] = ()
    #: absolute search path entries: folders of the target, where only what the profile lists is found.
    target_dirs: tuple[str, ...] = ()
    #: unreachable: members elsewhere in the artifact with that file name.
    candidates: tuple[str, ...] = ()
    #: when the requester has a RUNPATH-less loader chain whose RUNPATH would have found it: that loader.
    runpath_of_loader: str | None = None
    #: glibc, not found: the ELF class (32 or 64) of a file of that name the search met and skipped for
    #: its class. glibc then says ``<needed>: wrong ELF class: ELFCLASS<n>`` (docs/loader.md#not-a-loadable-elf-file).
    other_class: int | None = None
    #: the role of the chain's root (``program`` when the failure is met only on the way to a program).
    root_role: Role | None = None

    def __init__(self, *, requester: str, needed: str, kind: ResolvedKind, member: str | None = None,
                 via: str | None = None, library: Library | None = None, chain: tuple[str, ...] = (),
                 searched: tuple[str, ...] = (), outside: tuple[str, ...] = (), target_dirs: tuple[str, ...] = (),
                 candidates: tuple[str, ...] = (), runpath_of_loader: str | None = None,
                 other_class: int | None = None, root_role: Role | None = None) -> None:
        # Written out: one is made per DT_NEEDED entry and profile (40,000 for 20,000 tiny libraries), where
        # the generic record __init__ costs half as much again. tests/test_records.py checks it against the
        # fields.
        _set = object.__setattr__
        _set(self, "requester", requester)
        _set(self, "needed", needed)
        _set(self, "kind", kind)
        _set(self, "member", member)
        _set(self, "via", via)
        _set(self, "library", library)
        _set(self, "chain", chain)
        _set(self, "searched", searched)
        _set(self, "outside", outside)
        _set(self, "target_dirs", target_dirs)
        _set(self, "candidates", candidates)
        _set(self, "runpath_of_loader", runpath_of_loader)
        _set(self, "other_class", other_class)
        _set(self, "root_role", root_role)

    @property
    def root(self) -> str:
        """The file whose import, load or start this lookup is part of."""
        return self.chain[-1] if self.chain else self.requester


class Resolution(Record):
    """Every DT_NEEDED entry of one container's ELF files, resolved for one profile."""

    #: (requester member, needed name) → outcome.
    entries: Mapping[tuple[str, str], Resolved] = field(default_factory=dict)
    #: members loaded as dependencies of other members of the artifact.
    dependencies: frozenset[str] = frozenset()
    #: member → role (see :mod:`abigate.roles`), for every ELF file of the artifact.
    roles: Mapping[str, Role] = field(default_factory=lambda: MappingProxyType({}))
    #: set when the resolver stopped at its work budget (``abigate.limits.MAX_RESOLVER_STEPS``): what it
    #: says, for ABG005. ``entries`` then holds only what was resolved before.
    budget: str | None = None

    def get(self, requester: str, needed: str) -> Resolved | None:
        """The outcome for one entry, if the file was resolved."""
        return self.entries.get((requester, needed))

    def for_file(self, requester: str) -> Iterator[Resolved]:
        """Outcomes of one file's DT_NEEDED entries, in no particular order."""
        for (req, _), res in sorted(self.entries.items()):
            if req == requester:
                yield res


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


def _is_target_dir(entry: str) -> bool:
    """An absolute entry with nothing to expand: a folder on the target (often a leaked build path)."""
    return entry.startswith("/") and "$" not in entry


#: one search path entry: (member folder or None, the entry as written, its tag — ``DT_RPATH``,
#: ``DT_RUNPATH``, ``LD_LIBRARY_PATH (/var/task/lib)`` — and the object it belongs to, if any).
_Dir = tuple[str | None, str, str, str | None]


class _OverBudget(Exception):
    """The resolver's work budget for one artifact is spent."""


class _Resolver:
    def __init__(self, artifact: ArtifactFacts, profile: Profile, max_steps: int = MAX_RESOLVER_STEPS) -> None:
        self.profile = profile
        #: work left: one step per DT_NEEDED entry handled in a load and per folder searched for a name.
        self.steps_left = max_steps
        self.max_steps = max_steps
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
        # A container image is the target's whole file system: every search directory is inside it.
        self.deploy_dirs = (
            () if artifact.kind == "wheel" else _deploy_dirs(profile, ("/",) if artifact.kind == "image" else None)
        )
        #: a wheel shares site-packages with other distributions: a top-level folder it does not ship
        #: (PySide6's ``$ORIGIN/../shiboken6``) belongs to another wheel, like a path that climbs out.
        self.shared_tops: frozenset[str] | None = None
        if artifact.kind == "wheel":
            self.shared_tops = frozenset(m.split("/", 1)[0] for m in self.members if "/" in m)
        self.roles = assign_roles(artifact)
        self._own: dict[tuple[str, str], tuple[_Dir, ...]] = {}
        # Inherited search paths, interned: id → entries (nearest first), (object, parent id) → id.
        self._paths: list[tuple[_Dir, ...]] = [()]
        self._path_ids: dict[tuple[str, int], int] = {}
        self._path_by_content: dict[tuple[_Dir, ...], int] = {(): 0}
        #: (object, inherited path id) → the highest root rank (1 program, 2 other) it was walked for.
        self._walked: dict[tuple[str, int], int] = {}
        self._ld_path: tuple[_Dir, ...] = tuple(
            (rel, target, f"LD_LIBRARY_PATH ({target})", None) for rel, target in self.deploy_dirs)
        self._lookups: dict[tuple[str, str, int], Resolved] = {}
        self._lookup_cache: dict[tuple[str, int, int], tuple[str, str] | None] = {}

    def elf(self, member: str) -> ElfFacts | None:
        nf = self.files.get(member)
        return nf.elf if nf is not None else None

    def own_dirs(self, obj: str, tag: str) -> tuple[_Dir, ...]:
        """*obj*'s ``DT_RPATH`` or ``DT_RUNPATH`` entries, expanded against its own folder."""
        key = (obj, tag)
        cached = self._own.get(key)
        if cached is None:
            elf = self.elf(obj)
            assert elf is not None
            entries = elf.runpath if tag == "DT_RUNPATH" else elf.rpath
            cached = tuple((_expand(e, posixpath.dirname(obj)), e, tag, obj) for e in entries)
            self._own[key] = cached
        return cached

    def inherited(self, obj: str, parent: int) -> int:
        """The search path entries *obj* passes on to what it loads, after those of its own loaders.

        glibc: the ``DT_RPATH`` of every object on the chain that has no ``DT_RUNPATH``; musl: each one's
        ``DT_RUNPATH``, else its ``DT_RPATH``. Each entry carries the object it belongs to. Paths are
        interned: *parent* and the result are ids into ``self._paths``.
        """
        key = (obj, parent)
        hit = self._path_ids.get(key)
        if hit is not None:
            return hit
        elf = self.elf(obj)
        assert elf is not None
        if not self.musl and elf.runpath:
            result = parent
        else:
            tag = "DT_RUNPATH" if self.musl and elf.runpath else "DT_RPATH"
            own = self.own_dirs(obj, tag)
            if own:
                # An entry repeated further down the chain (every library's ``$ORIGIN`` naming one folder)
                # adds nothing to a search: keep the nearest. Interning by content lets roots whose chains
                # differ but search the same folders share lookups (20,000 libraries each loading a cycle
                # of 16 through ``$ORIGIN`` were 20,000 distinct paths, and as many cache misses).
                seen: set[tuple[str | None, str, str]] = set()
                kept: list[_Dir] = []
                # An object's own entries are all searched; what it inherits is capped.
                for entry in own + self._paths[parent]:
                    if entry[:3] not in seen and len(kept) < len(own) + _MAX_INHERITED:
                        seen.add(entry[:3])
                        kept.append(entry)
                path = tuple(kept)
                result = self._path_by_content.get(path, -1)
                if result < 0:
                    result = self._path_by_content[path] = len(self._paths)
                    self._paths.append(path)
            else:
                result = parent
        self._path_ids[key] = result
        return result

    def search_dirs(self, requester: str, parent: int) -> tuple[_Dir, ...]:
        """The folders searched, in order, for a name *requester* asks for.

        *parent* is the id of what the requester's loaders pass on (see :meth:`inherited`).
        """
        req = self.elf(requester)
        assert req is not None
        if self.musl:
            return self._ld_path + self._paths[self.inherited(requester, parent)]
        if req.runpath:
            return self._ld_path + self.own_dirs(requester, "DT_RUNPATH")
        # DT_RPATH of the requester and its loaders, then LD_LIBRARY_PATH.
        return self._paths[self.inherited(requester, parent)] + self._ld_path

    def lookup(self, path: str, req: ElfFacts) -> tuple[str, str] | None:
        """Follow links from *path*; ("elf"|"not-elf"|"skip", member) or ``None`` if nothing is there."""
        key = (path, req.elf_class, req.machine)
        if key in self._lookup_cache:
            return self._lookup_cache[key]
        seen = 0
        found: tuple[str, str] | None = None
        while path in self.links and seen < 40:
            target = self.links[path]
            if target is None:
                break
            path, seen = target, seen + 1
        else:
            nf = self.files.get(path)
            if nf is not None:
                elf = nf.elf
                if elf is None:
                    found = ("not-elf", path)
                elif elf.elf_class != req.elf_class or elf.machine != req.machine:
                    found = ("skip", path)
                else:
                    found = ("elf", path)
            elif path in self.members:
                found = ("not-elf", path)
        self._lookup_cache[key] = found
        return found

    def resolve_one(self, requester: str, needed: str, parent: int) -> Resolved:
        """Search for *needed* asked for by *requester* whose loaders pass on path *parent*, then the target.

        Shared between roots: the outcome depends only on the requester, the name and the search path.
        """
        elf = self.elf(requester)
        assert elf is not None
        key = (requester, needed, -1 if elf.runpath and not self.musl else parent)
        cached = self._lookups.get(key)
        if cached is None:
            cached = self._search(requester, needed, self.search_dirs(requester, parent))
            self._lookups[key] = cached
        return cached

    def _search(self, requester: str, needed: str, dirs: tuple[_Dir, ...]) -> Resolved:
        req = self.elf(requester)
        assert req is not None
        if "/" in needed:
            # A path in DT_NEEDED is used as is, relative to the working directory: not judged here.
            return Resolved(requester=requester, needed=needed, kind="outside", outside=(needed,))
        if self.musl and _MUSL_RESERVED.match(needed):
            lib = self.profile.library(needed) or self.profile.library("libc.so") or Library(soname=needed)
            return Resolved(requester=requester, needed=needed, kind="system", via="musl's reserved name",
                            library=lib)
        searched: list[str] = []
        searched_set: set[str] = set()
        outside: list[str] = []
        target_dirs: list[str] = []
        other_class: int | None = None
        for directory, entry, tag, owner in dirs:
            self.step()
            if directory is None:
                (target_dirs if _is_target_dir(entry) else outside).append(entry)
                continue
            if self.shared_tops is not None and directory not in (".", "") and (
                directory.split("/", 1)[0] not in self.shared_tops
            ):
                outside.append(entry)
                continue
            if directory in searched_set:
                # Reached again through another entry (/var/task/lib and /opt/lib are both lib/): same answer.
                continue
            searched.append(directory)
            searched_set.add(directory)
            candidate = needed if directory in (".", "") else f"{directory}/{needed}"
            found = self.lookup(candidate, req)
            if found is not None and found[0] == "skip":
                skipped = self.elf(found[1])
                if skipped is not None and skipped.elf_class != req.elf_class and not self.musl:
                    other_class = other_class or skipped.elf_class
            if found is None or found[0] == "skip":
                continue
            return Resolved(
                requester=requester,
                needed=needed,
                kind="bundled" if found[0] == "elf" else "not-elf",
                member=found[1],
                via=tag if owner is None or owner == requester else f"{tag} of {owner}",
                searched=tuple(searched),
            )
        lib = self.profile.library(needed)
        if lib is not None:
            return Resolved(
                requester=requester,
                needed=needed,
                kind="system",
                via="system",
                library=lib,
                searched=tuple(searched),
                outside=tuple(outside),
                target_dirs=tuple(target_dirs),
            )
        candidates = tuple(m for m in self.by_name.get(needed, ()) if m != requester)
        kind: ResolvedKind
        if candidates:
            kind = "unreachable"
        elif outside:
            kind = "outside"
        else:
            kind = "missing"
        return Resolved(
            requester=requester,
            needed=needed,
            kind=kind,
            searched=tuple(searched),
            outside=tuple(outside),
            target_dirs=tuple(target_dirs),
            candidates=candidates,
            other_class=other_class,
        )

    def step(self) -> None:
        """Count one step of work; past the budget the resolution stops (:class:`_OverBudget`).

        The work is linear per root, but an artifact of N libraries each reachable from N roots costs N**2:
        20,000 tiny files, or libraries that each need all the others through RPATHs to every folder.
        """
        self.steps_left -= 1
        if self.steps_left < 0:
            raise _OverBudget()

    def runpath_of_loader(self, chain: tuple[str, ...], needed: str, candidates: tuple[str, ...]) -> str | None:
        """The classic: a loader's RUNPATH would have found it, but RUNPATH is not inherited."""
        if self.musl:
            return None
        for obj in chain[1:]:
            elf = self.elf(obj)
            if elf is None or not elf.runpath:
                continue
            for directory, _, _, _ in self.own_dirs(obj, "DT_RUNPATH"):
                if directory is not None and (
                    f"{directory}/{needed}" if directory not in (".", "") else needed
                ) in candidates:
                    return obj
        return None

    def load(self, root: str) -> set[str]:
        """Simulate loading *root* with its dependencies; record every lookup; return what was loaded."""
        root_elf = self.elf(root)
        assert root_elf is not None
        role = self.roles.get(root)
        # Names that match an object already loaded (glibc: any name it was asked for, and its SONAME once
        # it is loaded; musl: the name asked for, and the file).
        names: dict[str, Resolved | str] = {}
        if self.musl:
            names[posixpath.basename(root)] = root
        elif root_elf.soname:
            names[root_elf.soname] = root
        # The loading chain as parent pointers (who loaded each object first), and the search path
        # each object's loaders pass on (an id, see inherited()).
        loader: dict[str, str | None] = {root: None}
        passed: dict[str, int] = {root: 0}

        def chain_of(obj: str) -> tuple[str, ...]:
            out: list[str] = []
            cur: str | None = obj
            while cur is not None and len(out) < _CHAIN_SHOWN:
                out.append(cur)
                cur = loader[cur]
            if cur is not None:
                out.append(root)  # a very deep chain: its middle is left out of reports
            return tuple(out)

        # An object already walked with the same inherited search path, for a root of at least this rank,
        # is not walked again: its entries are recorded (a success is never replaced, and a failure only by
        # one of a higher rank) and what it loads is already in ``reached``. Without this, N roots sharing
        # one closure of M libraries cost N × M (20,000 tiny libraries in one zip: seconds per profile).
        root_rank = 1 if role == "program" else 2
        queue = deque([root])
        while queue:
            obj = queue.popleft()
            elf = self.elf(obj)
            assert elf is not None
            parent = passed[obj]
            if self._walked.get((obj, parent), 0) < root_rank:
                self._walked[(obj, parent)] = root_rank
            for needed in elf.needed:
                self.step()
                key = (obj, needed)
                known = names.get(needed)
                if known is not None:
                    member = known if isinstance(known, str) else known.member
                    if member is not None and member != root:
                        self.dependencies.add(member)
                    if key in self.entries:
                        # A success never replaces what is recorded; building the outcome would be waste.
                        continue
                    if isinstance(known, str):
                        self.entries[key] = Resolved(requester=obj, needed=needed, kind="bundled", member=known,
                                                     via="already loaded", chain=chain_of(obj), root_role=role)
                    else:
                        self.entries[key] = replace(known, requester=obj, chain=chain_of(obj),
                                                    via="already loaded", searched=(), root_role=role)
                    continue
                res = self.resolve_one(obj, needed, parent)
                if res.kind == "system":
                    names[needed] = res
                elif res.kind == "bundled":
                    dep = res.member
                    assert dep is not None
                    names[needed] = dep
                    if dep != root:
                        self.dependencies.add(dep)
                    if dep not in loader:
                        dep_elf = self.elf(dep)
                        assert dep_elf is not None
                        if not self.musl and dep_elf.soname:
                            names.setdefault(dep_elf.soname, dep)
                        loader[dep] = obj
                        passed[dep] = self.inherited(obj, parent)
                        if self._walked.get((dep, passed[dep]), 0) < root_rank:
                            queue.append(dep)
                if res.kind in _FOUND and key in self.entries:
                    continue
                prev = self.entries.get(key)
                rank = 0 if res.kind in _FOUND else 1 if role == "program" else 2
                if prev is not None and _rank(prev) >= rank:
                    continue
                chain = chain_of(obj)
                extra: dict[str, object] = {"chain": chain, "root_role": role}
                if res.kind == "unreachable" and len(chain) > 1:
                    extra["runpath_of_loader"] = self.runpath_of_loader(chain, needed, res.candidates)
                self.entries[key] = replace(res, **extra)
        return set(loader)


def _rank(res: Resolved) -> int:
    """Which outcome of one entry a report keeps: a failure over a success, and a failure on the way to
    something imported or loaded over one on the way to a program."""
    if res.kind in _FOUND:
        return 0
    return 1 if res.root_role == "program" else 2


def _deploy_dirs(profile: Profile, roots: tuple[str, ...] | None = None) -> tuple[tuple[str, str], ...]:
    """(artifact folder, target path) for each search directory that lies inside the deployed artifact.

    The target unpacks a deploy zip at each of ``profile.artifact_roots`` (AWS Lambda: ``/var/task``, or
    ``/opt`` for a layer), so the artifact's folder ``d`` is ``<root>/d`` there and is searched exactly when
    that directory is in ``profile.library_paths`` (Lambda's ``LD_LIBRARY_PATH`` has ``/var/task/lib``: a
    zip's ``lib/libpq.so.5`` is found without any RPATH). Without roots nothing of the artifact is searched.
    """
    # *roots* replaces the profile's: ``("/",)`` for a container image, which is the whole file system.
    normalized = [posixpath.normpath(root) for root in (profile.artifact_roots if roots is None else roots)]
    out = []
    for path in profile.library_paths:
        target = posixpath.normpath(path)
        for root in normalized:
            prefix = root.rstrip("/") + "/"
            if target == root or target.startswith(prefix):
                rel = posixpath.normpath(target[len(prefix) :] if target != root else ".")
                out.append((rel, path))
    return tuple(dict.fromkeys(out))


def resolve_artifact(artifact: ArtifactFacts, profile: Profile, *,
                     max_steps: int = MAX_RESOLVER_STEPS) -> Resolution:
    """Resolve every DT_NEEDED entry of every ELF file in *artifact* (not its nested artifacts).

    Roots are what is imported, loaded by path or run: every file whose role is not ``library`` (see
    :mod:`abigate.roles`). A library no root reaches — named in some ``DT_NEEDED`` but found by no search —
    is then loaded as a root of its own, so every file's entries are resolved at least once.

    :param max_steps: the work budget (one step per entry handled and per folder searched). When it is spent
        the resolution stops there and says so in :attr:`Resolution.budget` (ABG005): never a hang.
    """
    r = _Resolver(artifact, profile, max_steps)
    elf_members = sorted(m for m, nf in r.files.items() if nf.elf is not None)
    reached: set[str] = set()
    budget = None
    try:
        for member in elf_members:
            if r.roles.get(member) != "library":
                reached |= r.load(member)
        for member in elf_members:
            if member not in reached:
                reached |= r.load(member)
    except _OverBudget:
        budget = (f"resolving the DT_NEEDED entries of its {len(elf_members)} ELF files takes more than "
                  f"{r.max_steps} steps (the resolver's work budget); {len(r.entries)} entries were resolved")
    return Resolution(
        entries=r.entries,  # in the order resolved, which the input alone decides (sorting 40,000 cost 0.1 s)
        dependencies=frozenset(r.dependencies),
        roles=MappingProxyType(dict(r.roles)),
        budget=budget,
    )
