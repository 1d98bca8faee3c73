"""Build container images in the test process (tarfile, gzip, json, hashlib): no container engine needed.

A layer is a list of :class:`Item` (a file, symlink, hard link, folder, device, or a whiteout written as a
file named ``.wh.<name>``). :func:`docker_save` writes what ``docker save`` writes (``manifest.json``, a
config, ``<id>/layer.tar``); :func:`oci_layout` writes an OCI image layout (``oci-layout``, ``index.json``,
``blobs/sha256/…``) as a folder or a tar, optionally with several platforms.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Item", "docker_save", "layer_tar", "oci_layout", "sha256"]


@dataclass(frozen=True)
class Item:
    name: str
    data: bytes = b""
    #: file | symlink | hardlink | dir | chardev | fifo
    kind: str = "file"
    target: str = ""


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def layer_tar(items: list[Item]) -> bytes:
    """An uncompressed layer tar of *items*, in order."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for item in items:
            info = tarfile.TarInfo(item.name)
            info.mtime = 1_700_000_000
            if item.kind == "file":
                info.size = len(item.data)
                info.mode = 0o755
                tf.addfile(info, io.BytesIO(item.data))
                continue
            if item.kind == "dir":
                info.type, info.mode = tarfile.DIRTYPE, 0o755
            elif item.kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, item.target
            elif item.kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, item.target
            elif item.kind == "chardev":
                info.type, info.devmajor, info.devminor = tarfile.CHRTYPE, 1, 3
            elif item.kind == "fifo":
                info.type = tarfile.FIFOTYPE
            tf.addfile(info)
    return buf.getvalue()


def _config(arch: str, diff_ids: list[str], history: list[dict[str, object]] | None) -> bytes:
    cfg: dict[str, object] = {
        "architecture": arch,
        "os": "linux",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }
    if history is not None:
        cfg["history"] = history
    return json.dumps(cfg, sort_keys=True).encode()


def docker_save(
    path: Path,
    layers: list[list[Item]],
    *,
    arch: str = "amd64",
    history: list[dict[str, object]] | None = None,
    corrupt_layer: int | None = None,
    drop_layer: int | None = None,
    truncate_layer: int | None = None,
) -> Path:
    """A ``docker save`` tarball (legacy layout: ``<id>/layer.tar``, ``<config id>.json``, ``manifest.json``).

    *corrupt_layer*: change the ``CORRUPT-ME`` text of that layer after its digest was recorded.
    *drop_layer*: the manifest names that layer but the tarball does not hold it.
    *truncate_layer*: keep only the first half of that layer.
    """
    tars = [layer_tar(items) for items in layers]
    diff_ids = [sha256(t) for t in tars]
    config = _config(arch, diff_ids, history)
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    names = []
    members: list[tuple[str, bytes]] = []
    for i, data in enumerate(tars):
        layer_id = hashlib.sha256(f"{i}:{diff_ids[i]}".encode()).hexdigest()
        names.append(f"{layer_id}/layer.tar")
        if i == corrupt_layer:
            data = _corrupt(data)
        if i == truncate_layer:
            data = data[: len(data) // 2]
        if i != drop_layer:
            members.append((f"{layer_id}/layer.tar", data))
    members.append((config_name, config))
    manifest = [{"Config": config_name, "RepoTags": ["example/app:latest"], "Layers": names}]
    members.append(("manifest.json", json.dumps(manifest).encode()))
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tf:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def _compress(data: bytes, how: str) -> bytes:
    if how == "gzip":
        return gzip.compress(data, mtime=0)
    if how == "zstd":
        try:
            from compression import zstd  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            from backports import zstd  # type: ignore[import-not-found,no-redef,unused-ignore]
        return zstd.compress(data)  # type: ignore[no-any-return]
    return data


def _corrupt(data: bytes) -> bytes:
    """*data* with one byte of its ``CORRUPT-ME`` marker changed (the tar itself stays readable)."""
    at = data.find(b"CORRUPT-ME")
    assert at >= 0, "the layer to corrupt must hold a file containing CORRUPT-ME"
    return data[:at] + b"c" + data[at + 1 :]


def _blob(blobs: dict[str, bytes], data: bytes) -> dict[str, object]:
    digest = sha256(data)
    blobs[digest] = data
    return {"digest": digest, "size": len(data)}


def oci_layout(
    path: Path,
    platforms: dict[str, list[list[Item]]],
    *,
    as_tar: bool = False,
    compress: str = "gzip",
    history: list[dict[str, object]] | None = None,
    corrupt_layer: int | None = None,
) -> Path:
    """An OCI image layout holding one manifest per platform (``"linux/amd64": layers``); an index of them
    when there are several. Layers are gzip-compressed (``compress="gzip"``) or plain (``"none"``)."""
    blobs: dict[str, bytes] = {}
    descriptors = []
    for platform, layers in platforms.items():
        _, arch = platform.split("/")[:2]
        tars = [layer_tar(items) for items in layers]
        layer_descs = []
        for i, tar in enumerate(tars):
            data = _compress(tar, compress)
            media = "application/vnd.oci.image.layer.v1.tar" + {"gzip": "+gzip", "zstd": "+zstd"}.get(
                compress, ""
            )
            desc = _blob(blobs, data)
            if i == corrupt_layer:
                if compress == "none":
                    blobs[str(desc["digest"])] = _corrupt(data)
                else:
                    bad = bytearray(data)
                    bad[len(bad) // 2] ^= 0x01
                    blobs[str(desc["digest"])] = bytes(bad)
            layer_descs.append({"mediaType": media, **desc})
        config = _config(arch, [sha256(t) for t in tars], history)
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **_blob(blobs, config)},
            "layers": layer_descs,
        }
        mdesc = _blob(blobs, json.dumps(manifest).encode())
        descriptors.append(
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                **mdesc,
                "platform": {"os": "linux", "architecture": arch},
            }
        )
    if len(descriptors) > 1:
        inner = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": descriptors,
        }
        idesc = _blob(blobs, json.dumps(inner).encode())
        top = [{"mediaType": "application/vnd.oci.image.index.v1+json", **idesc}]
    else:
        top = descriptors
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": top}
    files = {
        "oci-layout": json.dumps({"imageLayoutVersion": "1.0.0"}).encode(),
        "index.json": json.dumps(index).encode(),
    }
    for digest, data in blobs.items():
        files["blobs/sha256/" + digest.split(":", 1)[1]] = data
    if as_tar:
        with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tf:
            for name, data in files.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
        return path
    for name, data in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_bytes(data)
    return path
