"""Build a runtime profile from an unpacked OS tree, without running anything from it.

Input: a directory holding a root filesystem (``docker export`` output, a debootstrap folder, an extracted
image layer), possibly for another architecture than the host's. Read: ``/etc/os-release``; the C library
(glibc's ``libc.so.6`` with its version from the file's release string or name; musl's ``ld-musl-*.so.1``
with its version from the Alpine package database or the binary); the loader's directories from
``/etc/ld.so.conf`` and its includes plus the built-in defaults; the version definitions of every library
there, through abigate's own ELF reader, with the other file names each is found under in the directories
glibc searches by name (``libc-2.31.so``, ``libz.so.1.2.13``); the dynamic loader (always recorded: from
the search path, else its ``PT_INTERP`` path, else derived from the glibc version and marked inferred); and
the Pythons installed under ``/usr/bin`` and ``/usr/local/bin``.

Every path is resolved *inside* the tree: an absolute symlink ``/lib64/ld-linux-x86-64.so.2 ->
/lib/x86_64-linux-gnu/…`` points into the rootfs, never to the host's ``/``.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import posixpath
import re
from collections import deque
from typing import Any

from abigate.errors import ProfileError
from abigate.fsview import FsView, RealFs, read_head
from abigate.limits import MAX_LD_SO_CONF_FILES, MAX_OS_RELEASE_VALUE, MAX_ROOTFS_TEXT_BYTES
from abigate.loaders import GLIBC_LOADER_PATHS, GLIBC_LOADERS
from abigate.native import HEAD_SIZE, read_native, sniff
from abigate.pyabi import multiarch
from abigate.symver import node_key

__all__ = ["profile_from_rootfs", "resolve_in_root"]

_MAX_LINKS = 40
#: the longest path the kernel resolves (PATH_MAX): a longer one in ``ld.so.conf`` or a link names nothing.
_PATH_MAX = 4096
_LIB_NAME = re.compile(r"^(lib|ld)[^/]*\.so(\.[0-9]+)*$")
_GLIBC_RELEASE = re.compile(rb"release version (\d+\.\d+(?:\.\d+)?)")
_GLIBC_FILE = re.compile(r"^libc-(\d+\.\d+(?:\.\d+)?)\.so$")


def _resolve(fs: FsView, path: str) -> str:
    """*path* (a path on the target) with every symlink followed inside the tree, relative to its root.

    ``..`` never climbs above the root and absolute link targets restart at the root, as a ``chroot`` would
    see them. Raises ``OSError(ELOOP)`` on a symlink loop.
    """
    if len(path) > _PATH_MAX:
        raise OSError(errno.ENAMETOOLONG, "file name too long", path[:64] + "…")
    pending = deque(p for p in path.split("/") if p not in ("", "."))
    resolved: list[str] = []
    links = 0
    while pending:
        part = pending.popleft()
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        candidate = "/".join([*resolved, part])
        if fs.kind(candidate) == "link":
            links += 1
            if links > _MAX_LINKS:
                raise OSError(errno.ELOOP, "too many levels of symbolic links", path)
            target = fs.read_link(candidate)
            if len(target) > _PATH_MAX:
                raise OSError(errno.ENAMETOOLONG, "symlink text too long", candidate)
            if target.startswith("/"):
                resolved = []
            pending.extendleft(reversed([p for p in target.split("/") if p not in ("", ".")]))
            continue
        resolved.append(part)
    return "/".join(resolved)


def resolve_in_root(root: str, path: str) -> str:
    """The host path of *path* (a path on the target) with every symlink followed inside *root*.

    ``..`` never climbs above *root* and absolute link targets restart at *root*, as a ``chroot`` would
    see them. Raises ``OSError(ELOOP)`` on a symlink loop.
    """
    return os.path.join(root, *[p for p in _resolve(RealFs(root), path).split("/") if p])


def _kind(fs: FsView, path: str) -> str | None:
    """What *path* is once every symlink is followed (``None``: absent, a loop, or a dangling link)."""
    try:
        return fs.kind(_resolve(fs, path))
    except OSError:
        return None


def _list(fs: FsView, path: str) -> list[str]:
    """The names in the folder *path* (symlinks followed); ``OSError`` when it is not a readable folder."""
    return fs.list_dir(_resolve(fs, path))


def _read_text(fs: FsView, path: str) -> str | None:
    """The text of the configuration file *path* of the tree (``None`` when absent or unreadable).

    Only a regular file is read, and at most :data:`MAX_ROOTFS_TEXT_BYTES` of it: an ``os-release`` that is
    a FIFO or a device in the tree is an error naming it (exit 2), not a hang or an endless read.
    """
    try:
        host = _resolve(fs, path)
    except OSError:
        return None
    kind = fs.kind(host)
    if kind == "other":
        raise ProfileError(f"{fs.label}: {path} is not a regular file (a FIFO, device or socket); "
                           "abigate reads only regular files from a root filesystem")
    if kind != "file":
        return None
    try:
        return read_head(fs, host, MAX_ROOTFS_TEXT_BYTES).decode("utf-8", "replace")
    except OSError:
        return None


#: the ``os-release`` keys a profile takes.
_OS_RELEASE_KEYS = ("ID", "VERSION_ID", "PRETTY_NAME")


def _os_release(fs: FsView) -> dict[str, str]:
    for name in ("/etc/os-release", "/usr/lib/os-release"):
        text = _read_text(fs, name)
        if text is None:
            continue
        out: dict[str, str] = {}
        for line in text.split("\n"):  # not splitlines(): it splits at U+0085 and U+2028 too
            key, eq, value = line.partition("=")
            if eq and key.strip() and not key.lstrip().startswith("#"):
                out[key.strip()] = value.strip().strip("\"'")
        for key in _OS_RELEASE_KEYS:
            if len(out.get(key, "")) > MAX_OS_RELEASE_VALUE:
                raise ProfileError(f"{fs.label}: {name}: {key} is {len(out[key])} characters long, more than "
                                   f"the {MAX_OS_RELEASE_VALUE} abigate takes from os-release")
        return out
    return {}


def _ld_so_conf(fs: FsView, conf: str = "/etc/ld.so.conf", seen: set[str] | None = None) -> list[str]:
    """Directories from ld.so.conf, following ``include`` globs (relative to the including file's dir).

    Each file is read once, known by its path with links followed: an include through a link to its own
    folder (``conf.d/sub -> .``) names ever longer paths of the same files, and must end.
    """
    seen = set() if seen is None else seen
    try:
        key = _resolve(fs, conf)
    except OSError:
        return []
    if key in seen or len(seen) >= MAX_LD_SO_CONF_FILES:
        return []
    seen.add(key)
    text = _read_text(fs, conf)
    if text is None:
        return []
    out: list[str] = []
    for raw in text.split("\n"):
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("hwcap"):
            continue
        if len(line) > _PATH_MAX:
            continue  # longer than any path the loader could use (ldconfig refuses it too)
        if line.startswith("include"):
            for pattern in line.split()[1:]:
                pattern = re.sub(r"\*{2,}", "*", pattern)  # one star means the same; thousands cost more
                if not pattern.startswith("/"):
                    pattern = os.path.join(os.path.dirname(conf), pattern)
                folder, _, glob_part = pattern.rpartition("/")
                try:
                    names = _list(fs, folder or "/")
                except OSError:
                    continue
                for name in names:
                    if fnmatch.fnmatch(name, glob_part):
                        out += _ld_so_conf(fs, f"{folder}/{name}", seen)
            continue
        out += [item.rstrip("/") or "/" for item in re.split(r"[:,\s]+", line) if item.startswith("/")]
    return out


def _musl_path(fs: FsView, loader_name: str) -> list[str] | None:
    """musl's search path from ``/etc/ld-musl-<ARCH>.path`` (entries separated by newlines or colons), which
    replaces its built-in ``/lib:/usr/local/lib:/usr/lib``; ``None`` when the file is absent. musl never reads
    ``ld.so.conf``."""
    m = re.match(r"^ld-musl-(.+)\.so\.1$", loader_name)
    if m is None:
        return None
    text = _read_text(fs, f"/etc/ld-musl-{m[1]}.path")
    if text is None:
        return None
    return [item.rstrip("/") or "/" for item in re.split(r"[:\n]+", text) if item.strip().startswith("/")]


def _default_dirs(arch: str | None, family: str) -> list[str]:
    if family == "musl":
        return ["/lib", "/usr/local/lib", "/usr/lib"]
    triplet = multiarch(arch, "glibc") if arch else None
    out = [f"/lib/{triplet}", f"/usr/lib/{triplet}"] if triplet else []
    if arch is None or arch in ("x86_64", "aarch64", "ppc64le", "ppc64", "s390x", "riscv64", "loongarch64"):
        out += ["/lib64", "/usr/lib64"]
    return out + ["/lib", "/usr/lib"]


def _find_libc(fs: FsView, dirs: list[str]) -> tuple[str, str, str, str]:
    """(family, target path, path inside the tree with links followed, how) of the tree's C library."""
    for d in dirs:
        if _kind(fs, f"{d}/libc.so.6") == "file":
            return "glibc", f"{d}/libc.so.6", _resolve(fs, f"{d}/libc.so.6"), "libc.so.6"
    # Without an ld.so.conf the multiarch folders (Debian, Ubuntu) are still the loader's built-ins.
    for d in ("/lib", "/usr/lib"):
        try:
            names = _list(fs, d)
        except OSError:
            continue
        for name in names:
            path = f"{d}/{name}/libc.so.6"
            if re.fullmatch(r"[a-z0-9_]+-linux-gnu[a-z0-9]*", name) and _kind(fs, path) == "file":
                return "glibc", path, _resolve(fs, path), "libc.so.6"
    for d in ("/lib", "/usr/lib"):
        try:
            names = _list(fs, d)
        except OSError:
            continue
        for name in names:
            if re.match(r"^ld-musl-[A-Za-z0-9_]+\.so\.1$", name) and _kind(fs, f"{d}/{name}") == "file":
                return "musl", f"{d}/{name}", _resolve(fs, f"{d}/{name}"), name
    raise ProfileError(f"{fs.label}: no C library found (looked for libc.so.6 in {', '.join(dirs)} and "
                       "ld-musl-*.so.1 in /lib, /usr/lib); is this an unpacked root filesystem?")


def _glibc_version(fs: FsView, path: str, versions: list[str]) -> tuple[str, str]:
    """glibc's version from its release string, else the ``libc-X.Y.so`` file name, else the top node."""
    try:
        data = read_head(fs, path, 16 << 20)
    except OSError as exc:
        raise ProfileError(f"{fs.label}: /{path}: cannot read the C library: {exc.strerror or exc}") from None
    m = _GLIBC_RELEASE.search(data)
    if m:
        return m.group(1).decode(), "release string in libc.so.6"
    m2 = _GLIBC_FILE.match(posixpath.basename(path))
    if m2:
        return m2.group(1), "file name of libc.so.6"
    numbered = sorted((n for n in versions if re.fullmatch(r"GLIBC_2\.\d+(\.\d+)?", n)), key=node_key)
    if numbered:
        return numbered[-1].split("_", 1)[1], "highest GLIBC node of libc.so.6 (a lower bound)"
    raise ProfileError(f"{fs.label}: /{path}: cannot tell the glibc version")


def _musl_version(fs: FsView, path: str) -> tuple[str, str]:
    db = _read_text(fs, "/lib/apk/db/installed") or ""
    m = re.search(r"^P:musl\nV:(\d+\.\d+\.\d+)", db, re.MULTILINE)
    if m:
        return m.group(1), "Alpine package database"
    try:
        data = read_head(fs, path, 16 << 20)
    except OSError as exc:
        raise ProfileError(f"{fs.label}: /{path}: cannot read the C library: {exc.strerror or exc}") from None
    found = re.findall(rb"\x00(1\.\d+\.\d+)\x00", data)
    if found:
        return found[0].decode(), "version string in the musl loader"
    raise ProfileError(f"{fs.label}: /{path}: cannot tell the musl version")


def _scan_libraries(fs: FsView, dirs: list[str], arch: str, by_name: set[str]) -> dict[str, dict[str, Any]]:
    """``{soname: {"path", "versions", "files"}}`` of every library of *arch* in *dirs*.

    A file is recorded under its name when that name is its soname (or it has none): DT_NEEDED holds
    sonames, and the loader finds them by file name or through ``ld.so.cache``. Any other name of a library
    (the real file ``libc-2.31.so``, ``libgomp.so.1.0.0``, a dev link) found in a directory of *by_name* (the
    directories glibc searches by file name: its defaults; musl searches every directory so) is added to
    that soname's ``files``: a DT_NEEDED holding that file name loads the library too.
    """
    found: dict[str, dict[str, Any]] = {}
    other_names: dict[str, set[str]] = {}
    cache: dict[str, tuple[str, str | None, list[str]] | None] = {}
    for d in dirs:
        try:
            names = _list(fs, d)
        except OSError:
            continue
        for name in names:
            if name in found or not _LIB_NAME.match(name):
                continue
            target = f"{d.rstrip('/')}/{name}"
            try:
                host = _resolve(fs, target)
            except OSError:
                continue
            if host not in cache:
                cache[host] = _read_library(fs, host)
            info = cache[host]
            if info is None or info[0] != arch:
                continue
            _, soname, versions = info
            if soname is not None and soname != name and not re.match(r"^(ld-musl-|libc\.musl-)", name):
                if d in by_name:
                    other_names.setdefault(soname, set()).add(name)
                continue
            found[name] = {"path": target, "versions": versions}
    for soname, names_found in other_names.items():
        if soname in found:
            extra = sorted(names_found - set(found))
            if extra:
                found[soname]["files"] = extra
    return found


def _add_loader(fs: FsView, arch: str, version: str, libraries: dict[str, dict[str, Any]],
                notes: dict[str, str]) -> None:
    """Make sure glibc's dynamic loader is recorded: found in the search directories, else at the path
    programs name in PT_INTERP, else (a tree without it cannot run anything, but its libc.so.6 says which
    glibc it is) derived from glibc's tables and marked so in the provenance."""
    loader = GLIBC_LOADERS.get(arch)
    if loader is None or loader in libraries or any(loader in e.get("files", ()) for e in libraries.values()):
        return
    interp = GLIBC_LOADER_PATHS.get(arch)
    if interp is not None:
        try:
            host: str | None = _resolve(fs, interp)
        except OSError:
            host = None
        info = _read_library(fs, host) if host is not None else None
        if info is not None and info[0] == arch and info[1] == loader:
            libraries[loader] = {"path": interp, "versions": info[2]}
            return
    libraries[loader] = {"derive": f"glibc {version}"}
    notes[f"libraries.{loader}"] = (f"the tree has no {loader} (looked in the search directories and at "
                                    f"{interp}); nodes derived from glibc {version}")


def _read_library(fs: FsView, path: str) -> tuple[str, str | None, list[str]] | None:
    """(arch, soname, version nodes defined) of the ELF library at *path* (links already followed)."""
    if fs.kind(path) != "file":
        return None
    try:
        fh, size = fs.open_file(path)
        try:
            head = fh.read(HEAD_SIZE)
            result = read_native(head, fh, size) if sniff(head) is not None else None
        finally:
            fh.close()
    except OSError:
        return None
    if result is None or result.elf is None or result.error is not None:
        return None
    elf = result.elf
    versions = sorted({d.name for d in elf.version_defs if not d.is_base}, key=node_key)
    return elf.arch, elf.soname, versions


def _pythons(fs: FsView, arch: str, family: str) -> list[dict[str, Any]]:
    found: dict[tuple[int, int, bool], dict[str, Any]] = {}
    for bindir in ("/usr/local/bin", "/usr/bin"):
        try:
            names = _list(fs, bindir)
        except OSError:
            continue
        for name in names:
            m = re.fullmatch(r"python3\.(\d{1,2})(t?)", name)  # 3.0-3.99: what a profile may name
            if not m:
                continue
            key = (3, int(m.group(1)), bool(m.group(2)))
            if key in found or _kind(fs, f"{bindir}/{name}") != "file":
                continue
            version = f"3.{m.group(1)}"
            prefix = bindir.rsplit("/", 1)[0]
            libname = f"libpython{version}{m.group(2)}.so.1.0"
            shared = any(_kind(fs, f"{d}/{libname}") is not None
                         for d in (f"{prefix}/lib", *_default_dirs(arch, family)))
            found[key] = {"version": version + m.group(2), "executable": f"{bindir}/{name}",
                          "shared_libpython": shared}
    # Newest first: the default interpreter of an image is usually its newest.
    return [found[k] for k in sorted(found, reverse=True)]


def profile_from_rootfs(root: str | FsView, *, profile_id: str | None = None,
                        generator: str = "abigate profile from-rootfs",
                        source: tuple[str, str] | None = None) -> dict[str, Any]:
    """Describe the OS tree at *root* as profile data (the TOML input format, ``kind = "captured"``).

    :param root: a folder on disk, or any :class:`abigate.fsview.FsView` (the merged lower layers of a
        container image: :func:`abigate.image.profile_from_image`).
    :param generator: recorded as the profile's ``generator``.
    :param source: ``(url, title)`` of the ``rootfs`` source the provenance cites (default: the folder).
    :raises ProfileError: *root* is not a readable directory or holds no recognisable C library.
    """
    if isinstance(root, str):
        if not os.path.isdir(root):
            raise ProfileError(f"{root}: not a directory (give the folder of an unpacked root filesystem)")
        try:
            os.listdir(root)
        except OSError as exc:
            raise ProfileError(f"{root}: cannot read the directory: {exc.strerror}") from None
        fs: FsView = RealFs(os.path.abspath(root))
        source = source or (f"rootfs:{fs.label}", "unpacked root filesystem")
    else:
        fs = root
        source = source or (f"rootfs:{fs.label}", "root filesystem")
    try:
        return _describe(fs, root, profile_id, generator, source)
    except OSError as exc:
        # Every read above handles the errors it expects; a symlink loop or a name too long met anywhere
        # else is still the tree's doing (exit 2 naming it), not abigate's.
        where = f" {exc.filename}" if exc.filename else ""
        raise ProfileError(f"{fs.label}:{where}: cannot read the tree: {exc.strerror or exc}") from None


def _describe(fs: FsView, root: str | FsView, profile_id: str | None, generator: str,
              source: tuple[str, str]) -> dict[str, Any]:
    """:func:`profile_from_rootfs` once the tree is open."""
    osr = _os_release(fs)
    conf_dirs = _ld_so_conf(fs)
    family, libc_path, libc_host, loader_name = _find_libc(fs, [*conf_dirs, *_default_dirs(None, "glibc")])
    libc_info = _read_library(fs, libc_host)
    if libc_info is None:
        raise ProfileError(f"{fs.label}: {libc_path} is not a readable ELF library")
    arch = libc_info[0]
    if family == "glibc":
        version, how = _glibc_version(fs, libc_host, libc_info[2])
    else:
        version, how = _musl_version(fs, libc_host)
    search = [*conf_dirs, *_default_dirs(arch, family)]
    if family == "musl":
        search = _musl_path(fs, loader_name) or _default_dirs(arch, family)
    dirs: list[str] = []
    seen: set[str] = set()
    for d in search:
        try:
            host = _resolve(fs, d)
        except OSError:
            continue
        if host in seen or fs.kind(host) != "dir":
            continue
        seen.add(host)
        dirs.append(d)
    by_name = set(dirs) if family == "musl" else set(_default_dirs(arch, family)) & set(dirs)
    libraries = _scan_libraries(fs, dirs, arch, by_name)
    derived_notes: dict[str, str] = {}
    if family == "musl":
        if "libc.so" not in libraries:
            libraries["libc.so"] = {"path": libc_path, "versions": []}
        # The loader is the process's interpreter, there whatever the search path lists (a path file may
        # leave out /lib, where it lives).
        libraries.setdefault(loader_name, {"path": libc_path, "versions": []})
    if family == "glibc":
        _add_loader(fs, arch, version, libraries, derived_notes)
    pid = profile_id or f"rootfs-{osr.get('ID', 'linux')}-{osr.get('VERSION_ID', 'unknown')}-{arch}"
    where = "a root filesystem" if isinstance(root, str) else fs.label
    title = f"{osr.get('PRETTY_NAME', 'Linux')} ({arch}), read from {where}"
    data: dict[str, Any] = {"schema": 1, "id": pid, "title": title, "kind": "captured",
                            "generator": generator, "arch": arch}
    version_tuple = tuple(int(x) for x in version.split("."))
    data["refuses_exec_stack"] = family == "glibc" and version_tuple >= (2, 41)
    data["library_paths"] = dirs
    os_table = {k: v for k, v in (("id", osr.get("ID")), ("version", osr.get("VERSION_ID")),
                                  ("name", osr.get("PRETTY_NAME"))) if v}
    if os_table:
        data["os"] = os_table
    data["libc"] = {"family": family, "version": version}
    libs: dict[str, Any] = {}
    for name in sorted(libraries):
        found = libraries[name]
        if "derive" in found:
            libs[name] = {"derive": found["derive"]}
            continue
        entry: dict[str, Any] = {"versions": found["versions"], "exact": True, "path": found["path"]}
        if found.get("files"):
            entry["files"] = found["files"]
        if name == "libc.so.6" and family == "glibc":
            entry["version"] = version
        libs[name] = entry
    data["libraries"] = libs
    pythons = _pythons(fs, arch, family)
    if pythons:
        data["python"] = [dict(p, confidence="verified", sources=["rootfs"]) for p in pythons]
    data["sources"] = {"rootfs": {"url": source[0], "title": source[1]}}
    cite = {"confidence": "verified", "sources": ["rootfs"]}
    data["provenance"] = {
        "arch": dict(cite, note=f"e_machine of {libc_path}"),
        "libc": dict(cite, note=f"{libc_path}: {how}"),
        "library_paths": dict(cite, note="ld.so.conf and the loader's default directories"),
        "page_size": {"confidence": "unknown", "note": "a root filesystem does not say; 4096 assumed"},
        "refuses_exec_stack": dict(cite, note="from the glibc version (>= 2.41 refuses)"),
    }
    for key, note in derived_notes.items():
        data["provenance"][key] = {"confidence": "inferred", "note": note}
    return data
