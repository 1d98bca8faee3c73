"""``rootfs`` (unpacked OS trees for ``profile from-rootfs``) and ``special`` (files that are not regular).

Root filesystems start from a small aarch64 tree (the ``testdata/elf/rootfs`` libc and a library) and get
hostile parts: ``os-release`` with DEL and other control characters, invalid UTF-8, NUL, megabytes,
unbalanced quotes or absent; symlink loops (``lib -> /lib``, ``lib64 -> lib64``, a ``libc.so.6`` that
points at itself, chains of a hundred links); ``ld.so.conf`` that includes itself, includes a glob over
its own folder or a path that keeps growing, or lists thousands of folders; library and Python file names
that are not UTF-8; thousands of libraries. The profile written must then validate.

Special files: a FIFO (no writer: a reader blocks forever) as the artifact, a profile, an ``extends``
target, a configuration, ``os-release`` or ``ld.so.conf``; ``/dev/zero`` (endless) and links to it in the
same places; a sparse file of 1.5 GiB (costs nothing on disk; a reader that slurps it costs 1.5 GB); a
folder where a file is expected; ``/proc`` files.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

from fuzzing.case import ARTIFACT_EXITS, INPUT_EXITS, Case
from fuzzing.seeds import native, pick_elf
from fuzzing.zips import Member, build_zip

__all__ = ["gen_rootfs", "gen_special"]

_OS_RELEASE = (
    'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n'
    'NAME="Debian GNU/Linux"\nVERSION_CODENAME=bookworm\n'
)


def _base_root(root: Path) -> None:
    lib = root / "lib" / "aarch64-linux-gnu"
    lib.mkdir(parents=True)
    (lib / "libc.so.6").write_bytes(native("rootfs/aarch64/libc.so.6"))
    (lib / "libfoo.so.1").write_bytes(native("rootfs/aarch64/libfoo.so.1.2"))
    (root / "etc").mkdir()
    (root / "etc" / "os-release").write_text(_OS_RELEASE)
    (root / "usr" / "bin").mkdir(parents=True)


def _odd_os_release(rng: random.Random) -> bytes:
    ch = rng.choice(
        ("\x7f", "\x00", "\x1b[31m", "\u2028", "\x85", "\ufeff", "\t", "\r", "\\", '"', "'", "$(id)")
    )
    field = rng.choice(("ID", "VERSION_ID", "PRETTY_NAME", "NAME", "ID_LIKE", "VERSION_CODENAME"))
    kind = rng.random()
    if kind < 0.5:
        return (_OS_RELEASE + f'{field}="x{ch}y"\n').encode()
    if kind < 0.65:
        return (
            _OS_RELEASE.encode()
            + f"{field}=".encode()
            + rng.choice((b"\xff\xfe", b"\xc3", b"\x80abc", b'"\xe9"'))
        )
    if kind < 0.75:
        return (f'{field}="' + "a" * rng.choice((1000, 1 << 20, 8 << 20)) + '"\n').encode()
    if kind < 0.85:
        return f'ID="debian\nVERSION_ID=12"\n{field}=\'x\n'.encode()
    return rng.choice((b"", b"\n" * 100000, b"=\n=\n", b"ID=\n", b"VERSION_ID=" + b"9" * 5000 + b"\n"))


def _loops(rng: random.Random, root: Path) -> str:
    kind = rng.choice(("lib-abs", "lib-self", "libc-self", "chain", "usr-merge", "etc-loop", "py-loop"))
    if kind == "lib-abs":
        os.symlink("/lib", root / "lib" / "aarch64-linux-gnu" / "lib")
        os.symlink("/lib64", root / "lib64")
    elif kind == "lib-self":
        os.symlink("lib64", root / "lib64")
        os.symlink("../usr/lib", root / "usr" / "lib")
    elif kind == "libc-self":
        (root / "lib" / "aarch64-linux-gnu" / "libc.so.6").unlink()
        os.symlink("libc.so.6", root / "lib" / "aarch64-linux-gnu" / "libc.so.6")
    elif kind == "chain":
        n = rng.choice((39, 41, 100))
        d = root / "lib" / "aarch64-linux-gnu"
        for i in range(n):
            os.symlink(f"l{i + 1}.so.1", d / f"l{i}.so.1")
        os.symlink("l0.so.1", d / f"l{n}.so.1")
    elif kind == "usr-merge":
        os.symlink("usr/lib", root / "lib64")
        os.symlink("/lib64", root / "usr" / "lib")
    elif kind == "etc-loop":
        (root / "etc" / "os-release").unlink()
        os.symlink("../etc/os-release", root / "etc" / "os-release")
    else:
        os.symlink("python3.12", root / "usr" / "bin" / "python3")
        os.symlink("python3", root / "usr" / "bin" / "python3.12")
        os.symlink("/usr/bin/python3.11", root / "usr" / "bin" / "python3.11")
    return kind


def _ld_so_conf(rng: random.Random, root: Path) -> str:
    etc = root / "etc"
    conf_d = etc / "ld.so.conf.d"
    conf_d.mkdir()
    kind = rng.choice(("self", "glob-self", "growing", "mutual", "many", "long-line", "non-utf8"))
    if kind == "self":
        (etc / "ld.so.conf").write_text("include /etc/ld.so.conf\ninclude ld.so.conf\n/lib\n")
    elif kind == "glob-self":
        (etc / "ld.so.conf").write_text("include /etc/ld.so.conf.d/*.conf\n")
        (conf_d / "a.conf").write_text("include /etc/ld.so.conf.d/*.conf\ninclude /etc/*.conf\n/usr/lib\n")
    elif kind == "growing":
        (etc / "ld.so.conf").write_text("include ld.so.conf.d/x.conf\n")
        (conf_d / "x.conf").write_text("include ./x/../x.conf\ninclude ../ld.so.conf.d/x.conf\n")
        os.symlink(".", conf_d / "x")
    elif kind == "mutual":
        n = rng.choice((2, 100))
        (etc / "ld.so.conf").write_text("include /etc/ld.so.conf.d/c0.conf\n")
        for i in range(n):
            (conf_d / f"c{i}.conf").write_text(f"include /etc/ld.so.conf.d/c{(i + 1) % n}.conf\n/opt/{i}\n")
    elif kind == "many":
        n = rng.choice((1000, 50000))
        (etc / "ld.so.conf").write_text("".join(f"/opt/lib{i}\n" for i in range(n)))
    elif kind == "long-line":
        (etc / "ld.so.conf").write_text(
            "/" + "a/" * rng.choice((5000, 1 << 20)) + "\ninclude " + "*" * 5000 + "\n"
        )
    else:
        (etc / "ld.so.conf").write_bytes(b"/opt/\xff\xfe\ninclude \xc3\x28/*.conf\n")
    return kind


def gen_rootfs(rng: random.Random, d: Path) -> Case:
    """A hostile unpacked root filesystem for ``profile from-rootfs``."""
    root = d / "root"
    _base_root(root)
    roll = rng.random()
    if roll < 0.3:
        kind = "os-release"
        (root / "etc" / "os-release").write_bytes(_odd_os_release(rng))
    elif roll < 0.55:
        kind = _loops(rng, root)
    elif roll < 0.8:
        kind = "ld.so.conf-" + _ld_so_conf(rng, root)
    else:
        kind = rng.choice(("names", "many-libs", "no-libc", "python-names"))
        lib = root / "lib" / "aarch64-linux-gnu"
        if kind == "names":
            for raw in (
                b"lib\xff\xfe.so.1",
                b"lib\x7f.so.1",
                b"lib\x1b[31m.so.1",
                b"lib\n.so.1",
                b"lib\\x.so.1",
            ):
                with open(os.path.join(os.fsencode(lib), raw), "wb") as fh:
                    fh.write(native("rootfs/aarch64/libfoo.so.1.2"))
        elif kind == "many-libs":
            data = native("rootfs/aarch64/libfoo.so.1.2")
            for i in range(rng.choice((200, 3000))):
                (lib / f"libm{i}.so.{i}").write_bytes(data)
        elif kind == "no-libc":
            (lib / "libc.so.6").unlink()
        else:
            for name in (
                b"python3.100000",
                b"python3.\xff",
                b"python" + b"3" * 240,
                b"python3.12t",
                b"python3.-1",
            ):
                with open(os.path.join(os.fsencode(root / "usr" / "bin"), name), "wb") as fh:
                    fh.write(native("rootfs/aarch64/libfoo.so.1.2"))
    (d / "out").mkdir()
    argv = ["profile", "from-rootfs", "root", "-o", "out/p.toml"]
    if rng.random() < 0.2:
        argv += ["--id", rng.choice(("x", "a b", "\x7f", "../x", "é", "-" * 300))]
    return Case(
        "rootfs",
        kind,
        argv,
        str(d),
        frozenset({0, 2}),
        outputs=["out/p.toml"],
        validate=str(d / "out" / "p.toml"),
    )


def gen_special(rng: random.Random, d: Path) -> Case:
    """A FIFO, a device, a sparse giant, a folder or a ``/proc`` file where abigate expects a file."""
    where = rng.choice(
        (
            "artifact",
            "artifact",
            "profile",
            "extends",
            "config",
            "config-profiles",
            "os-release",
            "ld.so.conf",
            "folder-member",
        )
    )
    what = rng.choice(("fifo", "fifo", "dev-zero", "link-dev-zero", "sparse", "folder", "proc"))
    if where in ("os-release", "ld.so.conf") and what in ("dev-zero", "proc"):
        what = "fifo"

    def make(path: Path) -> str:
        if what == "fifo":
            os.mkfifo(path)
        elif what == "dev-zero":
            return "/dev/zero"
        elif what == "link-dev-zero":
            os.symlink("/dev/zero", path)
        elif what == "sparse":
            with open(path, "wb") as fh:
                fh.truncate(rng.choice((3 << 29, 1 << 31)))
                if rng.random() < 0.5:
                    fh.seek(0)
                    fh.write(pick_elf(rng)[1] if path.suffix != ".toml" else b"schema = 1\n")
        elif what == "folder":
            path.mkdir()
        else:
            return rng.choice(
                ("/proc/self/status", "/proc/self/mem", "/proc/self/fd/0", "/proc/self/environ")
            )
        return path.name

    _, elf = pick_elf(rng)
    (d / "a.zip").write_bytes(build_zip([Member(b"pkg/_ext.cpython-311-x86_64-linux-gnu.so", elf)]))
    allowed = INPUT_EXITS
    if where == "artifact":
        target = make(d / rng.choice(("x.zip", "x.so", "x.whl", "x.tar.gz")))
        argv = ["check", target, "-p", "debian-12"] if rng.random() < 0.6 else ["scan", target]
        allowed = ARTIFACT_EXITS
    elif where == "profile":
        target = make(d / "p.toml")
        argv = rng.choice(
            (
                ["profile", "validate", target],
                ["check", "a.zip", "-p", target],
                ["profile", "show", target],
                ["profile", "diff", "debian-12", target],
            )
        )
    elif where == "extends":
        target = make(d / "parent.toml")
        (d / "p.toml").write_text(f'schema = 1\nid = "p"\ntitle = "t"\nkind = "os"\nextends = "{target}"\n')
        argv = rng.choice((["profile", "validate", "p.toml"], ["check", "a.zip", "-p", "p.toml"]))
    elif where == "config":
        target = make(d / "pyproject.toml")
        argv = ["check", "a.zip", "-p", "debian-12"] + (["--config", target] if rng.random() < 0.7 else [])
    elif where == "config-profiles":
        target = make(d / "p.toml")
        (d / "pyproject.toml").write_text(f'[tool.abigate]\nprofiles = ["{target}"]\n')
        argv = ["check", "a.zip"]
    elif where in ("os-release", "ld.so.conf"):
        root = d / "root"
        _base_root(root)
        (root / "etc" / "os-release").unlink()
        if where == "ld.so.conf":
            (root / "etc" / "os-release").write_text(_OS_RELEASE)
        make(root / "etc" / where)
        (d / "out").mkdir()
        return Case(
            "special",
            f"{what}-{where}",
            ["profile", "from-rootfs", "root", "-o", "out/p.toml"],
            str(d),
            frozenset({0, 2}),
            outputs=["out/p.toml"],
            validate=str(d / "out" / "p.toml"),
        )
    else:
        folder = d / "site"
        (folder / "pkg").mkdir(parents=True)
        (folder / "pkg" / "_ext.cpython-311-x86_64-linux-gnu.so").write_bytes(elf)
        make(folder / "pkg" / "x.so")
        argv = ["check", "site", "-p", "debian-12"] if rng.random() < 0.6 else ["scan", "site"]
        allowed = ARTIFACT_EXITS
    return Case("special", f"{what}-{where}", argv, str(d), allowed)
