"""``tar-image`` family: tars whose headers lie, truncated compressed streams, and container images whose
``manifest.json`` / ``index.json`` are hostile.

Tars: mutated ``size`` fields (octal garbage, base-256 giants), checksums, type flags, link names, names;
pax headers declaring huge lengths; GNU long names of megabytes; hard-link and symlink loops; thousands of
members; gzip/xz/bzip2/zstd streams cut short. Images: a ``docker save`` tarball and an OCI layout (tar or
folder) built around a real ELF layer, then given wrong JSON types, deep nesting, 5,000-digit numbers,
indexes that name themselves (cycles), layers that are missing, repeated thousands of times, escape with
``../``, or whose digests do not match; ``check --profile image`` and ``profile from-image`` run on them.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import lzma
import random
import tarfile
from collections.abc import Sequence
from pathlib import Path

from fuzzing.case import ARTIFACT_EXITS, INPUT_EXITS, Case
from fuzzing.common import artifact_argv, interesting_int
from fuzzing.seeds import pick_elf

__all__ = ["gen_tar_image", "make_tar"]


def make_tar(entries: Sequence[tuple[str, bytes | str, str]]) -> bytes:
    """A tar of (name, data or link target, kind) with kind "file", "sym" or "hard"."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tf:
        for name, data, kind in entries:
            info = tarfile.TarInfo(name)
            info.mtime = 0
            if kind == "file":
                assert isinstance(data, bytes)
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
            else:
                info.type = tarfile.SYMTYPE if kind == "sym" else tarfile.LNKTYPE
                info.linkname = str(data)
                tf.addfile(info)
    return buf.getvalue()


def _headers(data: bytes) -> list[int]:
    offs, off = [], 0
    while off + 512 <= len(data) and data[off : off + 512].strip(b"\0"):
        offs.append(off)
        try:
            size = int(data[off + 124 : off + 136].strip(b"\0 ") or b"0", 8)
        except ValueError:
            break
        off += 512 + (size + 511) // 512 * 512
    return offs


def _mutate_tar(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    buf = bytearray(data)
    heads = _headers(data)
    kind = rng.choice(("size", "base256", "checksum", "type", "linkname", "name", "flip"))
    for _ in range(rng.randrange(1, 3)):
        h = rng.choice(heads) if heads else 0
        if h + 512 > len(buf):
            break
        if kind == "size":
            buf[h + 124 : h + 136] = rng.choice(
                (b"77777777777\0", b"99999999999\0", b"-1\0", b"\0" * 12, b"7" * 12, b" 1 2 3 \0\0\0\0\0")
            )
        elif kind == "base256":
            buf[h + 124 : h + 136] = b"\x80" + interesting_int(rng, 64).to_bytes(11, "big")
        elif kind == "checksum":
            buf[h + 148 : h + 156] = rng.randbytes(8)
        elif kind == "type":
            buf[h + 156] = rng.choice(b"01234567LKxgDMNSV\0\xff")
        elif kind == "linkname":
            buf[h + 157 : h + 257] = rng.choice((b"../" * 33 + b"x", b"/etc/passwd", b"\0" * 100, b"a" * 100))
        elif kind == "name":
            buf[h : h + 100] = rng.choice(
                (b"../" * 33 + b"x", b"/abs/x.so", b"\xff" * 100, b"a\0b" + b"c" * 97)
            )
        else:
            for _ in range(8):
                buf[h + rng.randrange(512)] = rng.randrange(256)
    return kind, bytes(buf)


def _crafted_tar(rng: random.Random) -> tuple[str, bytes]:
    _, elf = pick_elf(rng)
    kind = rng.choice(("pax-huge", "longname", "hard-loop", "sym-loop", "many", "sym-long"))
    if kind == "pax-huge":
        info = tarfile.TarInfo("x.so")
        info.size = len(elf)
        hdr = bytearray(info.tobuf(format=tarfile.GNU_FORMAT))
        record = f"{rng.choice((99999999999, 2**40, 30))} path=".encode() + b"a" * 20 + b"\n"
        pax = tarfile.TarInfo("././@PaxHeader")
        pax.type = tarfile.XHDTYPE
        pax.size = len(record)
        phdr = pax.tobuf(format=tarfile.USTAR_FORMAT)
        return kind, phdr + record.ljust(512, b"\0") + bytes(hdr) + elf.ljust(
            (len(elf) + 511) // 512 * 512, b"\0"
        ) + bytes(1024)
    if kind == "longname":
        return kind, make_tar([("d/" * rng.choice((100, 50000)) + "x.so", elf, "file")])
    if kind == "hard-loop":
        return kind, make_tar(
            [
                ("a.so", "b.so", "hard"),
                ("b.so", "a.so", "hard"),
                ("c.so", "c.so", "hard"),
                ("lib/x.so", elf, "file"),
            ]
        )
    if kind == "sym-loop":
        n = rng.choice((2, 50, 2000))
        ents: list[tuple[str, bytes | str, str]] = [
            (f"l{i}.so", f"l{(i + 1) % n}.so", "sym") for i in range(n)
        ]
        ents += [("d", "d/d", "sym"), ("e", "/", "sym"), ("f", "../" * 50, "sym"), ("x.so", elf, "file")]
        return kind, make_tar(ents)
    if kind == "sym-long":
        return kind, make_tar(
            [(f"s{i}", "/".join([".."] * 1000) + f"/s{(i + 1) % 8}", "sym") for i in range(8)]
            + [("x.so", elf, "file")]
        )
    n = rng.choice((1000, 20000))
    return kind, make_tar([(f"f{i}", b"", "file") for i in range(n)] + [("x.so", elf, "file")])


def _compress(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    fmt = rng.choice(("tar", "tar.gz", "tar.gz", "tar.xz", "tar.zst"))
    if fmt == "tar.gz":
        data = gzip.compress(data, 6, mtime=0)
    elif fmt == "tar.xz":
        data = lzma.compress(data, preset=1)
    elif fmt == "tar.zst":
        try:
            import zstandard  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            return "tar", data
        data = zstandard.ZstdCompressor().compress(data)
    if fmt != "tar" and rng.random() < 0.3:
        data = data[: rng.randrange(10, max(11, len(data)))]
    return fmt, data


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


#: stands for an integer of 5,000 digits in a JSON document (``json.dumps`` refuses to write one).
_HUGE = "@huge-integer@"
#: stands for arrays nested 3,000 deep (``json.dumps`` stops at its recursion limit).
_DEEP = "@deep-nesting@"


def _dumps(doc: object) -> bytes:
    text = json.dumps(doc).replace(f'"{_HUGE}"', "9" * 5000)
    return text.replace(f'"{_DEEP}"', "[" * 3000 + "]" * 3000).encode()


def _poison(rng: random.Random, doc: object) -> object:
    """A JSON value with one hostile change."""
    bad: object = rng.choice(
        (
            None,
            5,
            "x",
            [],
            {},
            True,
            -1,
            _HUGE if rng.random() < 0.3 else 2**70,
            _DEEP,
            "../../etc/passwd",
            "\u0000",
            "sha256:" + "0" * 64,
        )
    )
    if isinstance(doc, list) and doc and rng.random() < 0.7:
        i = rng.randrange(len(doc))
        doc[i] = _poison(rng, doc[i])
        return doc
    if isinstance(doc, dict) and doc and rng.random() < 0.8:
        k = rng.choice(sorted(doc))
        doc[k] = _poison(rng, doc[k]) if rng.random() < 0.6 else bad
        return doc
    return bad


def _image(rng: random.Random) -> tuple[str, dict[str, bytes]]:
    """The files of an image (docker save or OCI layout), some poisoned; the kind."""
    _, elf = pick_elf(rng)
    base = make_tar(
        [
            ("lib/x86_64-linux-gnu/libc.so.6", elf, "file"),
            ("etc/os-release", b'ID=debian\nVERSION_ID="12"\n', "file"),
        ]
    )
    app = make_tar([("app/_ext.cpython-311-x86_64-linux-gnu.so", elf, "file")])
    if rng.random() < 0.5:
        app = gzip.compress(app, mtime=0)
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [_digest(base), _digest(app)]},
        }
    ).encode()
    files: dict[str, bytes] = {}
    kind = rng.choice(("docker", "oci"))
    if kind == "docker":
        files["base/layer.tar"] = base
        files["app/layer.tar"] = app
        files["config.json"] = config
        manifest: object = [
            {"Config": "config.json", "RepoTags": ["x:1"], "Layers": ["base/layer.tar", "app/layer.tar"]}
        ]
        what = rng.choice(("json", "repeat", "missing", "escape", "none"))
        if what == "json":
            manifest = _poison(rng, manifest)
        elif what == "repeat":
            manifest = [{"Config": "config.json", "Layers": ["base/layer.tar"] * rng.choice((100, 5000))}]
        elif what == "missing":
            manifest = [{"Config": "nope.json", "Layers": ["gone.tar", "app/layer.tar"]}]
        elif what == "escape":
            manifest = [{"Config": "../../etc/passwd", "Layers": ["../../../etc/hostname", "/dev/zero"]}]
        files["manifest.json"] = _dumps(manifest)
        return f"docker-{what}", files
    blobs = {_digest(b): b for b in (base, app, config)}
    mani = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": _digest(config),
            "size": len(config),
        },
        "layers": [
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar",
                "digest": _digest(base),
                "size": len(base),
            },
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar"
                + ("+gzip" if app[:2] == b"\x1f\x8b" else ""),
                "digest": _digest(app),
                "size": len(app),
            },
        ],
    }
    what = rng.choice(("json", "cycle", "digest", "size", "none", "nested"))
    if what == "json":
        mani = _poison(rng, mani)  # type: ignore[assignment]
    elif what == "digest":
        mani["layers"][0]["digest"] = rng.choice(("sha256:" + "0" * 64, "md5:x", "sha256:../../x", ""))  # type: ignore
    elif what == "size":
        mani["layers"][1]["size"] = interesting_int(rng, 64)  # type: ignore[index]
    mbytes = _dumps(mani)
    blobs[_digest(mbytes)] = mbytes
    index: dict[str, object] = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": _digest(mbytes),
                "size": len(mbytes),
                "platform": {"architecture": "amd64", "os": "linux"},
            }
        ],
    }
    if what in ("cycle", "nested"):
        inner = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                {
                    "mediaType": "application/vnd.oci.image.index.v1+json",
                    "digest": "sha256:" + "ab" * 32,
                    "size": 100,
                }
            ],
        }
        for _ in range(rng.choice((1, 20, 200)) if what == "nested" else 1):
            ib = json.dumps(inner).encode()
            blobs[_digest(ib)] = ib
            inner = {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.index.v1+json",
                "manifests": [
                    {
                        "mediaType": "application/vnd.oci.image.index.v1+json",
                        "digest": _digest(ib),
                        "size": len(ib),
                    }
                ]
                * rng.choice((1, 2, 8)),
            }
        index = inner
    files["oci-layout"] = b'{"imageLayoutVersion": "1.0.0"}'
    files["index.json"] = _dumps(index)
    for dg, b in blobs.items():
        files["blobs/sha256/" + dg.split(":", 1)[1]] = b
    return f"oci-{what}", files


def gen_tar_image(rng: random.Random, d: Path) -> Case:
    """A tar with lying headers, a truncated compressed tar, or a hostile container image."""
    roll = rng.random()
    allowed = ARTIFACT_EXITS
    if roll < 0.45:
        _, elf = pick_elf(rng)
        raw = make_tar(
            [
                ("pkg/_ext.cpython-311-x86_64-linux-gnu.so", elf, "file"),
                ("pkg/l.so", "_ext.so", "sym"),
                ("pkg/h.so", "pkg/_ext.cpython-311-x86_64-linux-gnu.so", "hard"),
                ("pkg/__init__.py", b"", "file"),
            ]
        )
        kind, raw = _mutate_tar(rng, raw) if rng.random() < 0.8 else ("clean", raw)
        fmt, data = _compress(rng, raw)
        name = f"layer.{fmt}"
        (d / name).write_bytes(data)
        argv = artifact_argv(rng, name)
    elif roll < 0.6:
        kind, raw = _crafted_tar(rng)
        fmt, data = _compress(rng, raw)
        name = f"layer.{fmt}"
        (d / name).write_bytes(data)
        argv = artifact_argv(rng, name)
    else:
        kind, files = _image(rng)
        if rng.random() < 0.6:
            name = "image.tar"
            (d / name).write_bytes(make_tar([(n, b, "file") for n, b in sorted(files.items())]))
        else:
            name = "layout"
            for n, b in files.items():
                (d / name / n).parent.mkdir(parents=True, exist_ok=True)
                (d / name / n).write_bytes(b)
        r = rng.random()
        if r < 0.4:
            argv = ["check", name, "--profile", "image"] + (["-q"] if rng.random() < 0.5 else [])
        elif r < 0.6:
            argv = ["profile", "from-image", name, "-o", "out/p.toml"]
            allowed = INPUT_EXITS
            (d / "out").mkdir()
            return Case(
                "tar-image",
                kind,
                argv,
                str(d),
                allowed,
                outputs=["out/p.toml"],
                validate=str(d / "out" / "p.toml"),
            )
        else:
            argv = artifact_argv(rng, name)
    return Case("tar-image", kind, argv, str(d), allowed)
