"""Container images as artifacts: ``docker save`` / ``podman save`` tarballs and OCI image layouts.

An image is a stack of layer tarballs. What a container sees is their union: each layer adds files, and
removes files of the layers below with *whiteouts* (``.wh.<name>`` removes ``<name>``; ``.wh..wh..opq``
makes its folder opaque, hiding everything lower layers put in it), as the OCI image specification's
"Representing Changes" section describes. This module presents that union as one
:class:`abigate.archive.Container`, so the scanner judges exactly the files the container would see.

How it stays bounded:

* an image *tar* is indexed once (headers only) and each blob is read through a window on the file; an
  OCI *folder* is read blob file by blob file; nothing is extracted;
* layers are read **top-down**, each in one forward pass (``tarfile`` stream mode over
  :func:`abigate.compression.open_decompressed`), tracking which paths upper layers already provide, remove
  or make opaque, so a lower file that is hidden is skipped without being read and no layer is held whole;
* only members whose content matters are kept: native binaries (and zips), dist-info metadata and the few
  text files a runtime profile reads (``os-release``, ``ld.so.conf``); each is held in memory up to a cap,
  beyond it in an anonymous :func:`tempfile.TemporaryFile` (removed when closed, never named);
* every blob's bytes are hashed as they stream past and compared with the digest that names them; a
  mismatch is a ``digest-mismatch`` problem on that blob (rule ABG004), and the rest is still judged.

Everything wrong with the image (a manifest naming a missing layer, ``../`` names, device files, hard links
to nothing, a truncated layer) is a ``(path, kind, message)`` problem, never an exception.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import posixpath
import re
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from typing import IO, Any, BinaryIO, Literal

from abigate._records import Record, field
from abigate.archive import (
    DEFAULT_LIMITS,
    Container,
    Entry,
    EntryType,
    FileSource,
    Limits,
    MemberError,
    MemorySource,
    Source,
    StoredStream,
)
from abigate.compression import DecompressionLimit, is_tar_header, open_decompressed, sniff_compression
from abigate.image_options import ImageOptions  # re-exported: the options of this reader
from abigate.limits import BUDGET_EXCEEDED
from abigate.native import HEAD_SIZE, sniff

__all__ = [
    "MAX_JSON_SIZE",
    "MEMORY_BUDGET",
    "MEMORY_MEMBER_CAP",
    "Image",
    "ImageOptions",
    "Layer",
    "MergedTree",
    "PlatformImage",
    "base_layer_count",
    "looks_like_image_dir",
    "merge_layers",
    "oci_arch",
    "open_image",
    "profile_from_image",
    "select_platforms",
    "split_note",
]

#: manifests, indexes and configs are read whole; a larger one is refused as ``bad-manifest``.
MAX_JSON_SIZE = 4 << 20
#: member bytes of one merged tree held in memory; beyond it members go to anonymous temporary files.
MEMORY_BUDGET = 64 << 20
#: a single member larger than this always goes to a temporary file.
MEMORY_MEMBER_CAP = 16 << 20
#: an image tar holding this many members without ``manifest.json`` or ``oci-layout`` is a plain tar.
_IMAGE_TAR_SCAN_LIMIT = 4096
#: nested indexes followed before giving up (an index pointing to itself would loop).
_MAX_INDEX_DEPTH = 4
_READ_CHUNK = 1 << 20

#: abigate's architecture names → the GOARCH names OCI platforms use (and the variant, for 32-bit ARM).
_OCI_ARCH = {
    "x86_64": ("amd64", None),
    "aarch64": ("arm64", None),
    "i686": ("386", None),
    "i386": ("386", None),
    "armv7l": ("arm", "v7"),
    "armv6l": ("arm", "v6"),
    "ppc64le": ("ppc64le", None),
    "s390x": ("s390x", None),
    "riscv64": ("riscv64", None),
    "loongarch64": ("loong64", None),
    "mips64el": ("mips64le", None),
}

_INDEX_TYPES = frozenset(
    {
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    }
)
_MANIFEST_TYPES = frozenset(
    {
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    }
)
_BLOB_NAME = re.compile(r"^blobs/(sha256|sha384|sha512)/([0-9a-f]{32,128})$")
_LEGACY_CONFIG = re.compile(r"^([0-9a-f]{64})\.json$")
#: text files a runtime profile reads from a tree (``abigate.rootfs``); kept whatever their content.
_PROFILE_TEXTS = ("etc/os-release", "usr/lib/os-release", "lib/apk/db/installed", "etc/ld.so.conf")
_WHITEOUT = ".wh."
_OPAQUE = ".wh..wh..opq"

Problem = tuple[str, str, str]  # (display path, kind, message)


def oci_arch(arch: str) -> tuple[str, str | None]:
    """``("arm64", None)`` for ``aarch64``: the OCI platform architecture (and variant) of an abigate arch."""
    return _OCI_ARCH.get(arch, (arch, None))


def _abigate_arch(oci: str, variant: str | None) -> str:
    for name, (goarch, var) in _OCI_ARCH.items():
        if goarch == oci and (var is None or variant in (None, var)) and name != "i386":
            return name
    return oci


# -- blob stores ----------------------------------------------------------------------------------------


class _Store:
    """Where an image's files are: an OCI folder on disk or an image tar. Names are ``/``-separated."""

    display: str
    sep: str

    def size(self, name: str) -> int | None:
        """The size of the file *name*, or ``None`` when the image has no such file."""
        raise NotImplementedError

    def open(self, name: str) -> BinaryIO:
        """A forward binary stream over the file's bytes."""
        raise NotImplementedError

    def where(self, name: str) -> str:
        """The display path of one file of the image."""
        return f"{self.display}{self.sep}{name}"

    def close(self) -> None:
        """Release open files."""


class _DirStore(_Store):
    """An OCI image layout folder (or an unpacked ``docker save``)."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.display = root.rstrip("/") or "/"
        self.sep = "/"

    def _path(self, name: str) -> str | None:
        parts = name.split("/")
        if name.startswith("/") or ".." in parts or "\x00" in name:  # no file name holds NUL: not the image's
            return None
        path = os.path.join(self.root, *parts)
        real = os.path.realpath(path)
        if not real.startswith(os.path.realpath(self.root).rstrip("/") + "/"):
            return None  # a blob that is a symlink out of the layout is not the image's
        return path

    def size(self, name: str) -> int | None:
        path = self._path(name)
        if path is None or not os.path.isfile(path):
            return None
        return os.path.getsize(path)

    def open(self, name: str) -> BinaryIO:
        path = self._path(name)
        if path is None:
            raise OSError(f"{name}: outside the image layout")
        return open(path, "rb")


class _TarStore(_Store):
    """An uncompressed image tar, indexed once; each file is a window on its :class:`Source` (``pread``)."""

    def __init__(
        self,
        display: str,
        source: Source,
        files: dict[str, tuple[int, int]],
        links: dict[str, str],
        owned: IO[bytes] | None,
    ) -> None:
        self.display = display
        self.sep = "!"
        #: ``gzip``/``zstd``/… when the whole tarball was compressed (and decompressed to a temporary file).
        self.compression: str | None = None
        self._source = source
        self._files = files
        self._links = links
        self._owned = owned

    def _find(self, name: str) -> tuple[int, int] | None:
        for _ in range(8):  # docker save links a repeated layer.tar to the first copy
            if name in self._files:
                return self._files[name]
            target = self._links.get(name)
            if target is None:
                return None
            name = posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
        return None

    def size(self, name: str) -> int | None:
        found = self._find(name)
        return None if found is None else found[1]

    def open(self, name: str) -> BinaryIO:
        found = self._find(name)
        if found is None:
            raise OSError(f"{name}: not in the image")
        return io.BufferedReader(self._source.window(*found).fileobj(), buffer_size=_READ_CHUNK)

    def close(self) -> None:
        if self._owned is not None:
            self._owned.close()


def _norm(name: str) -> str:
    while name.startswith("./"):
        name = name[2:]
    return name.rstrip("/")


#: the first member of an image tar: a blob folder, a layer folder or config named by its id, or metadata.
_IMAGE_FIRST_MEMBER = re.compile(
    r"^(\./)?(blobs(/|$)|[0-9a-f]{64}(/|\.json$|$)|manifest\.json$|oci-layout$|"
    r"index\.json$|repositories$)"
)


def _first_member(head: bytes) -> str | None:
    """The name of the first member of the tar whose first bytes are *head* (pax headers applied)."""
    try:
        with tarfile.open(fileobj=io.BytesIO(head), mode="r|") as tf:
            info = tf.next()
            return None if info is None else info.name
    except (tarfile.TarError, OSError, EOFError, ValueError):
        return None


def _decompressed_image(raw: IO[bytes], limits: Limits) -> IO[bytes] | None:
    """A compressed image tarball (``docker save | gzip``) decompressed into an anonymous temporary file,
    when its first tar member is one an image tar starts with; ``None`` otherwise (a plain ``.tar.gz`` is
    left to the tar reader, after 64 KiB were decompressed to look). The file has no name and disappears when
    closed."""
    try:
        kind = sniff_compression(raw.read(8))
        if kind is None:
            return None
        raw.seek(0)
        with open_decompressed(raw, kind, max_output=limits.max_total_size) as plain:  # type: ignore[arg-type]
            first = plain.read(64 << 10)
            name = _first_member(first)
            if name is None or not _IMAGE_FIRST_MEMBER.match(name):
                return None
            tmp = tempfile.TemporaryFile()  # noqa: SIM115 - returned open, closed by the store
            tmp.write(first)
            while True:
                chunk = plain.read(_READ_CHUNK)
                if not chunk:
                    break
                tmp.write(chunk)
            tmp.flush()
            return tmp
    except (OSError, EOFError, DecompressionLimit, ValueError):
        return None


def _index_source(source: Source, display: str, owned: IO[bytes] | None) -> _TarStore | None:
    """The image store of the tar whose bytes are *source* when it holds an image, else ``None``."""
    if not is_tar_header(source.pread(0, 512)):
        return None
    files: dict[str, tuple[int, int]] = {}
    links: dict[str, str] = {}
    marked = False
    try:
        with tarfile.open(fileobj=source.fileobj(), mode="r:", tarinfo=_BoundedTarInfo) as tf:
            count = 0
            while True:
                info = tf.next()
                if info is None:
                    break
                tf.members = []  # type: ignore[attr-defined]  # the index below is all that is kept
                count += 1
                name = _norm(info.name)
                if name in ("manifest.json", "oci-layout", "index.json"):
                    marked = True
                if count > _IMAGE_TAR_SCAN_LIMIT and not marked:
                    return None
                if info.isreg():
                    files[name] = (info.offset_data, info.size)
                elif info.issym() or info.islnk():
                    links[name] = info.linkname if info.issym() else "/" + _norm(info.linkname)
    except (tarfile.TarError, OSError, EOFError, ValueError):
        return None
    if not ("manifest.json" in files or ("oci-layout" in files and "index.json" in files)):
        return None
    # Hard links are stored archive-relative; make them relative to the link's folder like symlinks.
    for name, target in list(links.items()):
        if target.startswith("/"):
            links[name] = posixpath.relpath(target[1:], posixpath.dirname(name) or ".")
    return _TarStore(display, source, files, links, owned)


def _index_tar(path: str, source: Source | None = None, limits: Limits = DEFAULT_LIMITS) -> _TarStore | None:
    """The image store of *path* (or of *source*, its bytes, when given: standard input) when it is a tar
    holding an image — uncompressed, or compressed as a whole and then decompressed into an anonymous
    temporary file — else ``None``."""
    owned: IO[bytes] | None = None
    if source is None:
        try:
            owned = open(path, "rb")  # noqa: SIM115 - owned by the store, or closed below
        except OSError:
            return None
        source = FileSource(owned, os.path.abspath(path))
    compression = sniff_compression(source.pread(0, 8))
    if compression is not None:
        spooled = _decompressed_image(source.fileobj(), limits)  # type: ignore[arg-type]
        if owned is not None:
            owned.close()
        if spooled is None:
            return None
        owned = spooled
        source = _TempSource(spooled, "<temporary file>")  # type: ignore[arg-type]
    store = _index_source(source, path, owned)
    if store is None:
        if owned is not None:
            owned.close()
        return None
    store.compression = compression
    return store


def looks_like_image_dir(path: str) -> bool:
    """Whether the folder *path* is an OCI image layout (``oci-layout`` + ``index.json``) or an unpacked
    ``docker save`` (``manifest.json`` naming layers)."""
    if os.path.isfile(os.path.join(path, "oci-layout")) and os.path.isfile(os.path.join(path, "index.json")):
        return True
    manifest = os.path.join(path, "manifest.json")
    if not os.path.isfile(manifest) or os.path.getsize(manifest) > MAX_JSON_SIZE:
        return False
    try:
        with open(manifest, "rb") as fh:
            data = json.loads(fh.read())
    except (OSError, ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
        return False
    return isinstance(data, list) and bool(data) and isinstance(data[0], dict) and "Layers" in data[0]


# -- the image model ------------------------------------------------------------------------------------


class Layer(Record, frozen=False):
    """One layer blob of a manifest."""

    #: the blob's file name inside the image (``blobs/sha256/…`` or ``<id>/layer.tar``).
    name: str
    #: ``sha256:<hex>`` the blob's bytes must hash to, or ``None`` when nothing names it.
    digest: str | None
    media_type: str = ""


class PlatformImage(Record, frozen=False):
    """One image of a (possibly multi-platform) index: a manifest, its config and its layers."""

    #: ``linux/amd64``, ``linux/arm64/v8``…; ``""`` when neither the index nor the config says.
    platform: str
    layers: list[Layer]
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def arch(self) -> str | None:
        """The platform's architecture in abigate's words (``x86_64``, ``aarch64``), if known."""
        parts = self.platform.split("/")
        if len(parts) < 2 or not parts[1]:
            return None
        return _abigate_arch(parts[1], parts[2] if len(parts) > 2 else None)


class Image(Record, frozen=False):
    """An opened image: its store, the images it holds and what was wrong with its metadata."""

    display: str
    #: ``docker`` (a ``manifest.json`` list) or ``OCI`` (``index.json``).
    format: Literal["docker", "OCI"]
    #: ``tar`` or ``folder``.
    container: Literal["tar", "folder"]
    store: _Store
    platforms: list[PlatformImage] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: ``(manifest digest, platform)`` pairs already read.
    seen: set[tuple[str, str]] = field(default_factory=set)

    def describe(self, pimage: PlatformImage) -> str:
        """``docker image with 3 layers`` / ``OCI image for linux/arm64 with 2 layers`` (``read_as``)."""
        where = (
            f" for {pimage.platform}"
            if pimage.platform and (self.format == "OCI" or len(self.platforms) > 1)
            else ""
        )
        what = "docker image" if self.format == "docker" else "OCI image"
        layout = " (layout folder)" if self.container == "folder" and self.format == "OCI" else ""
        n = len(pimage.layers)
        return f"{what}{layout}{where} with {n} layer{'s' if n != 1 else ''}"

    def close(self) -> None:
        self.store.close()


class _BlobError(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def _check_digest(digest: str | None, data: bytes) -> str | None:
    """A message when *data* does not hash to *digest* (``alg:hex``); ``None`` when it does or is unnamed."""
    if not digest or ":" not in digest:
        return None
    alg, _, want = digest.partition(":")
    if alg not in ("sha256", "sha384", "sha512"):
        return None
    got = hashlib.new(alg, data).hexdigest()
    return None if got == want.lower() else f"the bytes hash to {alg}:{got}, the image names them {digest}"


def _blob_name(digest: str) -> str | None:
    alg, _, hexdigest = digest.partition(":")
    name = f"blobs/{alg}/{hexdigest}"
    return name if _BLOB_NAME.match(name) else None


def _digest_of_name(name: str) -> str | None:
    m = _BLOB_NAME.match(name)
    if m:
        return f"{m.group(1)}:{m.group(2)}"
    m = _LEGACY_CONFIG.match(posixpath.basename(name))
    return f"sha256:{m.group(1)}" if m else None


def _read_json(image: Image, name: str, digest: str | None = None) -> Any:
    """A JSON file of the image, its digest checked; :class:`_BlobError` when missing or unreadable."""
    size = image.store.size(name)
    if size is None:
        raise _BlobError("missing-blob", "the image names this file but does not hold it")
    if size > MAX_JSON_SIZE:
        raise _BlobError(
            "bad-manifest", f"{size} bytes is too large for image metadata (limit {MAX_JSON_SIZE})"
        )
    try:
        with image.store.open(name) as fh:
            data = fh.read(MAX_JSON_SIZE + 1)
    except OSError as exc:
        raise _BlobError("unreadable", f"cannot read: {exc}") from None
    mismatch = _check_digest(digest, data)
    if mismatch:
        image.problems.append((image.store.where(name), "digest-mismatch", mismatch))
    try:
        return json.loads(data)
    except ValueError as exc:
        raise _BlobError("bad-manifest", f"not valid JSON: {exc}") from None
    except RecursionError:  # json.loads recurses once per nesting level: 3,000 nested arrays exhaust it
        raise _BlobError("bad-manifest", "not valid image metadata: nested too deeply") from None


def _platform_text(p: Any) -> str:
    if not isinstance(p, dict):
        return ""
    parts = [str(p.get("os") or ""), str(p.get("architecture") or "")]
    if p.get("variant"):
        parts.append(str(p["variant"]))
    return "/".join(parts) if parts[1] else ""


def _first_tag(tags: Any) -> str:
    """The first of a manifest.json entry's ``RepoTags``, whatever the JSON holds there."""
    if isinstance(tags, list) and tags and isinstance(tags[0], str):
        return tags[0]
    return "untagged"


def _docker_images(image: Image) -> None:
    try:
        manifest = _read_json(image, "manifest.json")
    except _BlobError as exc:
        image.problems.append((image.store.where("manifest.json"), exc.kind, exc.message))
        return
    if not isinstance(manifest, list) or not manifest or not all(isinstance(m, dict) for m in manifest):
        image.problems.append(
            (
                image.store.where("manifest.json"),
                "bad-manifest",
                "manifest.json is not a list of image entries",
            )
        )
        return
    if len(manifest) > 1:
        tags = ", ".join(_first_tag(m.get("RepoTags")) for m in manifest)
        image.notes.append(
            f"{image.display}: the archive holds {len(manifest)} images ({tags}); the first for the target's "
            "platform is judged (--all-platforms: each)"
        )
    for entry in manifest:
        config_name = _norm(str(entry.get("Config") or ""))
        config: dict[str, Any] = {}
        if config_name:
            try:
                loaded = _read_json(image, config_name, _digest_of_name(config_name))
                config = loaded if isinstance(loaded, dict) else {}
            except _BlobError as exc:
                image.problems.append((image.store.where(config_name), exc.kind, exc.message))
        rootfs = config.get("rootfs")
        diff_ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
        if not isinstance(diff_ids, list):
            diff_ids = []
        layers = []
        names = entry.get("Layers")
        if not isinstance(names, list):
            image.problems.append(
                (image.store.where("manifest.json"), "bad-manifest", "an entry has no Layers list")
            )
            continue
        for i, raw in enumerate(names):
            name = _norm(str(raw))
            digest = _digest_of_name(name)
            if digest is None and i < len(diff_ids) and isinstance(diff_ids[i], str):
                digest = diff_ids[i]  # a legacy <id>/layer.tar is uncompressed: its bytes are the diff
            layers.append(
                Layer(name=name, digest=digest, media_type="application/vnd.docker.image.rootfs.diff.tar")
            )
        image.platforms.append(PlatformImage(platform=_platform_text(config), layers=layers, config=config))


def _oci_images(image: Image, index_name: str, digest: str | None, depth: int, platform: str) -> None:
    try:
        index = _read_json(image, index_name, digest)
    except _BlobError as exc:
        image.problems.append((image.store.where(index_name), exc.kind, exc.message))
        return
    manifests = index.get("manifests") if isinstance(index, dict) else None
    if not isinstance(manifests, list):
        image.problems.append(
            (image.store.where(index_name), "bad-manifest", "the index has no manifests list")
        )
        return
    for desc in manifests:
        if not isinstance(desc, dict) or not isinstance(desc.get("digest"), str):
            image.problems.append(
                (image.store.where(index_name), "bad-manifest", "a manifest descriptor has no digest")
            )
            continue
        annotations = desc.get("annotations") or {}
        if (
            isinstance(annotations, dict)
            and annotations.get("vnd.docker.reference.type") == "attestation-manifest"
        ):
            continue  # build provenance stored beside the image, not a platform
        name = _blob_name(desc["digest"])
        if name is None:
            image.problems.append(
                (image.store.where(index_name), "bad-manifest", f"unsupported digest {desc['digest']!r}")
            )
            continue
        media = str(desc.get("mediaType") or "")
        plat = _platform_text(desc.get("platform")) or platform
        if media in _INDEX_TYPES:
            if depth >= _MAX_INDEX_DEPTH:
                image.problems.append((image.store.where(name), "bad-manifest", "indexes nested too deep"))
                continue
            _oci_images(image, name, desc["digest"], depth + 1, plat)
            continue
        _oci_manifest(image, name, desc["digest"], plat, depth)


def _oci_manifest(image: Image, name: str, digest: str, platform: str, depth: int) -> None:
    if (digest, platform) in image.seen:
        return  # an index may list one manifest under several tags: judge it once
    image.seen.add((digest, platform))
    try:
        manifest = _read_json(image, name, digest)
    except _BlobError as exc:
        image.problems.append((image.store.where(name), exc.kind, exc.message))
        return
    if not isinstance(manifest, dict):
        image.problems.append((image.store.where(name), "bad-manifest", "the manifest is not a JSON object"))
        return
    media = str(manifest.get("mediaType") or "")
    if media in _INDEX_TYPES or (not media and "manifests" in manifest):
        if depth >= _MAX_INDEX_DEPTH:
            image.problems.append((image.store.where(name), "bad-manifest", "indexes nested too deep"))
            return
        _oci_images(image, name, digest, depth + 1, platform)
        return
    config: dict[str, Any] = {}
    cdesc = manifest.get("config")
    if isinstance(cdesc, dict) and isinstance(cdesc.get("digest"), str):
        cname = _blob_name(cdesc["digest"])
        if cname is not None:
            try:
                loaded = _read_json(image, cname, cdesc["digest"])
                config = loaded if isinstance(loaded, dict) else {}
            except _BlobError as exc:
                image.problems.append((image.store.where(cname), exc.kind, exc.message))
    layers = []
    descriptors = manifest.get("layers")
    if not isinstance(descriptors, list):
        image.problems.append((image.store.where(name), "bad-manifest", "the manifest has no layers list"))
        descriptors = []
    for desc in descriptors:
        lname = _blob_name(str(desc.get("digest", ""))) if isinstance(desc, dict) else None
        if lname is None:
            image.problems.append(
                (image.store.where(name), "bad-manifest", "a layer descriptor has no usable digest")
            )
            continue
        layers.append(Layer(name=lname, digest=desc["digest"], media_type=str(desc.get("mediaType") or "")))
    image.platforms.append(
        PlatformImage(platform=platform or _platform_text(config), layers=layers, config=config)
    )


def open_image(path: str, source: Source | None = None) -> Image | None:
    """The image at *path* (an image tar or an OCI/docker folder), or ``None`` when it is not one.

    *source*: the bytes of the tar when they are not the file *path* (standard input, spooled by the scanner);
    *path* is then only the display name.

    Metadata problems (missing or corrupt manifests, digests that do not match) are recorded on the
    returned image; only "this is not an image at all" returns ``None``.
    """
    store: _Store
    if source is None and os.path.isdir(path):
        if not looks_like_image_dir(path):
            return None
        store = _DirStore(path)
        container: Literal["tar", "folder"] = "folder"
    else:
        tar = _index_tar(path, source)
        if tar is None:
            return None
        store, container = tar, "tar"
    notes = []
    if isinstance(store, _TarStore) and store.compression:
        notes.append(
            f"{store.display}: a {store.compression}-compressed image tarball; decompressed into an "
            "anonymous temporary file to be read"
        )
    oci = store.size("index.json") is not None and store.size("oci-layout") is not None
    # Docker 25+ writes an OCI layout *and* manifest.json: it is a docker save, read through manifest.json.
    docker = store.size("manifest.json") is not None
    image = Image(
        display=store.display,
        format="docker" if docker or not oci else "OCI",
        container=container,
        store=store,
        notes=notes,
    )
    if image.format == "docker":
        _docker_images(image)
    else:
        _oci_images(image, "index.json", None, 0, "")
    return image


def select_platforms(
    image: Image, arch: str | None, all_platforms: bool
) -> tuple[list[PlatformImage], str | None]:
    """The images to judge and a note saying which was picked.

    *all_platforms*: every one. Otherwise the one for *arch* (a profile's architecture), or without an
    arch ``linux/amd64`` when present, else the first. An index with no image for *arch* gives ``[]``.
    """
    found = image.platforms
    if all_platforms or len(found) <= 1:
        return list(found), None
    listed = ", ".join(p.platform or "unknown" for p in found)
    if arch is not None:
        want, variant = oci_arch(arch)
        chosen = [
            p
            for p in found
            if p.platform.split("/")[1:2] == [want]
            and (variant is None or p.platform.split("/")[2:3] in ([], [variant]))
        ]
        if chosen:
            return chosen[
                :1
            ], f"{image.display}: picked {chosen[0].platform} of {len(found)} platforms ({listed})"
        return [], None
    chosen = [p for p in found if p.platform == "linux/amd64"] or found[:1]
    return chosen[:1], (
        f"{image.display}: picked {chosen[0].platform or 'the first image'} of {len(found)} "
        f"platforms ({listed}); use --all-platforms to judge each"
    )


def base_layer_count(pimage: PlatformImage) -> tuple[int, str]:
    """How many bottom layers are the image's *runtime* (its base), and why.

    The config ``history`` lists one entry per Dockerfile instruction, base image first; instructions that
    make no layer say ``empty_layer``. A Dockerfile ends with ``CMD``/``ENTRYPOINT``, so the base image's
    last entry is such an instruction: the base ends at the last ``CMD``/``ENTRYPOINT`` that is followed by
    a layer. Without a usable history (or with none followed by a layer) every layer but the top one is
    the runtime.
    """
    n = len(pimage.layers)
    history = pimage.config.get("history")
    if isinstance(history, list) and history and all(isinstance(h, dict) for h in history):
        made = sum(1 for h in history if not h.get("empty_layer"))
        if made == n:
            layers_so_far = 0
            boundary = None
            for h in history:
                created = str(h.get("created_by") or "")
                if not h.get("empty_layer"):
                    layers_so_far += 1
                    continue
                if re.search(r"\b(CMD|ENTRYPOINT)\b", created) and 0 < layers_so_far < n:
                    boundary = layers_so_far
            if boundary is not None:
                return boundary, (
                    f"the config history: the base image ends with its CMD/ENTRYPOINT after layer {boundary}"
                )
    if n < 2:
        return 0, "the image has a single layer"
    return n - 1, "the config history does not show where the base ends, so every layer but the top one"


def split_note(image: Image, pimage: PlatformImage, base: int, why: str) -> str:
    """The report line saying which layers were the runtime and which were judged."""
    n = len(pimage.layers)
    runtime = f"layers 1-{base}" if base > 1 else "layer 1" if base == 1 else "no layer"
    judged = f"layers {base + 1}-{n}" if n - base > 1 else f"layer {n}"
    return f"{image.display}: runtime = {runtime} of {n} ({why}); judged: {judged}"


# -- merging layers -------------------------------------------------------------------------------------


#: a pax or GNU long-name header is read whole by :mod:`tarfile`; a larger one is refused, not read.
MAX_TAR_HEADER = 1 << 20


class _BoundedTarInfo(tarfile.TarInfo):
    """``tarfile`` reads extended headers whole into memory: refuse one that claims more than
    :data:`MAX_TAR_HEADER` bytes (a hostile layer could declare gigabytes) before it is read."""

    def _proc_pax(self, tf: tarfile.TarFile) -> tarfile.TarInfo:
        if self.size > MAX_TAR_HEADER:
            raise _HeaderTooLarge(f"a pax header of {self.size} bytes (limit {MAX_TAR_HEADER})")
        return super()._proc_pax(tf)  # type: ignore[misc,no-any-return]

    def _proc_gnulong(self, tf: tarfile.TarFile) -> tarfile.TarInfo:
        if self.size > MAX_TAR_HEADER:
            raise _HeaderTooLarge(f"a GNU long-name header of {self.size} bytes (limit {MAX_TAR_HEADER})")
        return super()._proc_gnulong(tf)  # type: ignore[misc,no-any-return]


class _HeaderTooLarge(tarfile.TarError):
    pass


class _HashingReader(io.RawIOBase):
    """Passes a blob through, hashing and counting what went by, so the digest is checked while streaming."""

    def __init__(self, raw: BinaryIO, digest: str | None) -> None:
        super().__init__()
        self._raw = raw
        alg = digest.partition(":")[0] if digest else ""
        self._hash = hashlib.new(alg) if alg in ("sha256", "sha384", "sha512") else None
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        if not data:
            return 0
        if self._hash is not None:
            self._hash.update(data)
        self.count += len(data)
        buffer[: len(data)] = data
        return len(data)

    def drain(self) -> None:
        while self.read(_READ_CHUNK):
            pass

    def hexdigest(self) -> str | None:
        return None if self._hash is None else self._hash.hexdigest()


class _Prefixed(io.RawIOBase):
    """*head* followed by the rest of *rest*: the first bytes were read to sniff the compression."""

    def __init__(self, head: bytes, rest: IO[bytes] | io.RawIOBase) -> None:
        super().__init__()
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class _TempSource(FileSource):
    """A member spooled to an anonymous temporary file: never handed to a worker by path."""

    def disk_location(self) -> tuple[str, int] | None:
        return None

    def fileno_for_view(self) -> int:
        """The descriptor of the temporary file (for :meth:`MergedTree.open_file`)."""
        return self._fd

    def window(self, start: int, length: int) -> _TempSource:
        start = max(0, min(start, self.size))
        length = max(0, min(length, self.size - start))
        return _TempSource(self._fh, self.path, self.base + start, length, self._lock)


class _Node(Record, frozen=False, kw_only=False):
    """A path of the merged tree: what it is, which layer it comes from, and its kept content."""

    type: EntryType
    layer: int
    size: int = 0
    #: ``bytes`` in memory, a temporary-file source, or ``None`` when the content was not kept.
    content: bytes | Source | None = None
    link: str = ""
    problems: list[tuple[str, str]] = field(default_factory=list)


class MergedTree(Container):
    """The files a container of the image sees, as a :class:`Container` (members are container paths).

    Also a read-only file-system view for :mod:`abigate.rootfs` (see :class:`abigate.fsview.FsView`).
    """

    def __init__(
        self,
        nodes: dict[str, _Node],
        problems: list[tuple[str, str]],
        label: str,
        temp_files: list[IO[bytes]],
        keep_from: int = 0,
    ) -> None:
        self.problems = problems
        self.label = label
        self._nodes = nodes
        self._temp_files = temp_files
        self._children: dict[str, set[str]] = {"": set()}
        for name, node in nodes.items():
            parts = name.split("/")
            for i in range(len(parts)):
                parent, child = "/".join(parts[:i]), parts[i]
                self._children.setdefault(parent, set()).add(child)
            if node.type == "dir":
                self._children.setdefault(name, set())
        self.entries = []
        for name in sorted(nodes):
            node = nodes[name]
            if node.layer < keep_from:
                continue
            self.entries.append(
                Entry(
                    name=name,
                    index=len(self.entries),
                    type=node.type,
                    size=node.size,
                    problems=list(node.problems),
                    readable=node.type != "special" and not node.problems,
                )
            )

    # -- Container ---------------------------------------------------------------------------------

    def _stream(self, node: _Node, display: str) -> StoredStream:
        if node.type == "symlink":
            data = node.link.encode()
            return StoredStream(MemorySource(data), len(data), None, display)
        if isinstance(node.content, bytes):
            return StoredStream(MemorySource(node.content), len(node.content), None, display)
        if isinstance(node.content, Source):
            return StoredStream(node.content, node.content.size, None, display)
        return StoredStream(MemorySource(b""), 0, None, display)  # content not kept: not native, not read

    def open(self, entry: Entry, display: str) -> StoredStream:
        node = self._nodes.get(entry.name)
        if node is None:
            raise MemberError("unreadable", "not in the merged image")
        return self._stream(node, display)

    def nested_source(self, entry: Entry, display: str, limits: Limits) -> Source:
        node = self._nodes.get(entry.name)
        if node is None or node.content is None:
            raise MemberError("unreadable", "the content was not kept")
        return MemorySource(node.content) if isinstance(node.content, bytes) else node.content

    def close(self) -> None:
        for fh in self._temp_files:
            fh.close()
        self._temp_files = []

    # -- file-system view (paths relative to the root, "" is the root) -----------------------------

    def kind(self, path: str) -> str | None:
        if path == "":
            return "dir"
        node = self._nodes.get(path)
        if node is None:
            return "dir" if path in self._children else None
        return {"file": "file", "dir": "dir", "symlink": "link"}.get(node.type, "other")

    def list_dir(self, path: str) -> list[str]:
        if self.kind(path) != "dir":
            raise OSError(20, "not a directory", path)
        return sorted(self._children.get(path, ()))

    def read_link(self, path: str) -> str:
        node = self._nodes.get(path)
        if node is None or node.type != "symlink":
            raise OSError(22, "not a symlink", path)
        return node.link

    def open_file(self, path: str) -> tuple[IO[bytes], int]:
        node = self._nodes.get(path)
        if node is None or node.type != "file":
            raise OSError(2, "no such file", path)
        if node.content is None:
            raise OSError(5, "content not kept (not a library or a configuration file)", path)
        if isinstance(node.content, bytes):
            return io.BytesIO(node.content), len(node.content)
        assert isinstance(node.content, _TempSource)
        # A second descriptor on the anonymous file: reading it moves no offset the scanner relies on (pread).
        fh = os.fdopen(os.dup(node.content.fileno_for_view()), "rb")
        fh.seek(node.content.base)
        return fh, node.content.size

    def layer_of(self, path: str) -> int | None:
        node = self._nodes.get(path)
        return None if node is None else node.layer


def _keep_content(name: str, head: bytes) -> bool:
    """Whether a member's bytes are worth keeping: natives, zips, metadata, and a profile's text files."""
    if sniff(head) is not None or head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return True
    parent, _, base = name.rpartition("/")
    if base in ("WHEEL", "METADATA", "RECORD") and parent.endswith(".dist-info"):
        return True
    if name.startswith("etc/ld-musl-") and name.endswith(".path"):
        return True  # musl's search path file, which replaces its built-in one
    return name in _PROFILE_TEXTS or name.startswith("etc/ld.so.conf.d/")


class _Merger:
    """Layers applied top-down (see the module docstring); one instance per merged tree."""

    def __init__(self, image: Image, limits: Limits) -> None:
        self.image = image
        self.limits = limits
        self.nodes: dict[str, _Node] = {}
        self.problems: list[tuple[str, str]] = []
        self.member_problems: list[Problem] = []
        self.temp_files: list[IO[bytes]] = []
        self.mem_used = 0
        # What upper layers (already read) hide from the layers below.
        self.removed: set[str] = set()
        self.opaque: set[str] = set()
        self.nondir: set[str] = set()
        #: hard-link target → links waiting for a lower layer to provide it.
        self.pending_hard: dict[str, list[str]] = {}
        #: the last member read and its kept content (see :meth:`_content`).
        self._last: tuple[tarfile.TarInfo, bytes | Source | None] | None = None
        self.count = 0

    def _hidden(self, name: str) -> bool:
        parts = name.split("/")
        for i in range(1, len(parts) + 1):
            prefix = "/".join(parts[:i])
            if prefix in self.removed:
                return True
            if i < len(parts) and (prefix in self.opaque or prefix in self.nondir):
                return True
        return False

    def _keep(self, data_stream: IO[bytes], size: int) -> bytes | Source:
        if size <= MEMORY_MEMBER_CAP and self.mem_used + size <= MEMORY_BUDGET:
            data = data_stream.read(size)
            self.mem_used += len(data)
            return data
        tmp = tempfile.TemporaryFile()  # noqa: SIM115 - anonymous, closed with the tree
        self.temp_files.append(tmp)
        while True:
            chunk = data_stream.read(_READ_CHUNK)
            if not chunk:
                break
            tmp.write(chunk)
        tmp.flush()
        return _TempSource(tmp, "<temporary file>")  # type: ignore[arg-type]

    def apply(self, layer_index: int, layer: Layer, keep_from: int) -> None:
        """Read one layer forward, adding what is visible; then record what it hides from lower layers."""
        where = self.image.store.where(layer.name)
        if self.image.store.size(layer.name) is None:
            self.member_problems.append(
                (
                    where,
                    "missing-blob",
                    (
                        f"layer {layer_index + 1} is named by the manifest "
                        "but the image does not hold it; its files were not judged"
                    ),
                )
            )
            return
        removed: set[str] = set()
        opaque: set[str] = set()
        nondir: set[str] = set()
        here: set[str] = set()
        record = layer_index >= keep_from
        try:
            raw = self.image.store.open(layer.name)
        except OSError as exc:
            self.member_problems.append((where, "unreadable", f"cannot open layer {layer_index + 1}: {exc}"))
            return
        hashing = _HashingReader(raw, layer.digest)
        stream: IO[bytes] | None = None
        try:
            head = hashing.read(512) or b""
            kind = sniff_compression(head)
            prefixed = io.BufferedReader(_Prefixed(head, hashing))
            if kind is not None:
                stream = open_decompressed(prefixed, kind, max_output=self.limits.max_total_size)
            else:
                stream = prefixed
            with tarfile.open(fileobj=stream, mode="r|", tarinfo=_BoundedTarInfo) as tf:
                while True:
                    info = tf.next()
                    if info is None:
                        break
                    tf.members = []  # type: ignore[attr-defined]  # stream mode keeps every header otherwise
                    self.count += 1
                    if self.count > self.limits.max_members:
                        self.problems.append(
                            (
                                "too-many-members",
                                (
                                    f"{where}: the layers hold more than "
                                    f"{self.limits.max_members} entries; the rest were "
                                    "not read"
                                ),
                            )
                        )
                        break
                    self._entry(tf, info, layer_index, record, where, here, removed, opaque, nondir)
        except DecompressionLimit as exc:
            self.member_problems.append(
                (where, "decompression-limit", f"{exc}; the rest of the layer was not read")
            )
        except (tarfile.TarError, OSError, EOFError, ValueError, zlib.error) as exc:
            self.member_problems.append(
                (
                    where,
                    "truncated",
                    (
                        f"layer {layer_index + 1} cannot be read to its end "
                        f"({exc}); the files after that point were not judged"
                    ),
                )
            )
        finally:
            if stream is not None:
                stream.close()
        # The digest covers the blob's bytes whatever they decompress to: hash the rest even after an error,
        # so a damaged layer is named as such (a mismatch) and not only as unreadable.
        try:
            hashing.drain()
            drained = True
        except OSError:
            drained = False
        if drained:
            got = hashing.hexdigest()
            if got is not None and layer.digest and got != layer.digest.partition(":")[2].lower():
                self.member_problems.append(
                    (
                        where,
                        "digest-mismatch",
                        (
                            f"layer {layer_index + 1} hashes to {layer.digest.partition(':')[0]}:"
                            f"{got}, the manifest names it {layer.digest}; it was judged anyway"
                        ),
                    )
                )
        raw.close()
        self.removed |= removed
        self.opaque |= opaque
        self.nondir |= nondir

    def _entry(
        self,
        tf: tarfile.TarFile,
        info: tarfile.TarInfo,
        layer_index: int,
        record: bool,
        where: str,
        here: set[str],
        removed: set[str],
        opaque: set[str],
        nondir: set[str],
    ) -> None:
        raw_name = info.name
        name = _norm(raw_name)
        if not name or name == ".":
            return
        display = f"{where}!{name}"
        if raw_name.startswith("/") or ".." in name.split("/"):
            self.member_problems.append(
                (
                    display,
                    "path-traversal",
                    (
                        "absolute or '..' path in a layer: extracting "
                        "it would write outside the container root"
                    ),
                )
            )
            return
        size = len(name.encode("utf-8", "surrogatepass")) if len(name) > self.limits.max_path_bytes // 4 else 0
        if size > self.limits.max_path_bytes:
            self.member_problems.append(
                (
                    f"{where}!{name[:100]}…",
                    BUDGET_EXCEEDED,
                    (
                        f"a path name of {size} bytes, longer than the "
                        f"{self.limits.max_path_bytes} any loader can open; not read"
                    ),
                )
            )
            return
        parent, _, base = name.rpartition("/")
        if base == _OPAQUE:
            opaque.add(parent)
            return
        if base.startswith(_WHITEOUT):
            # A whiteout of a path no lower layer holds is harmless: it simply hides nothing.
            removed.add(f"{parent}/{base[len(_WHITEOUT) :]}" if parent else base[len(_WHITEOUT) :])
            return
        if info.isreg() and name in self.pending_hard:
            self._fill_hard_links(tf, info, name)
        if name in self.nodes and name not in here:
            return  # an upper layer already provides this path
        if self._hidden(name):
            return
        if not info.isdir():
            nondir.add(name)
        here.add(name)
        if not record:
            return
        node = self._node(tf, info, layer_index, name, display)
        if node is not None:
            self.nodes[name] = node

    def _node(
        self, tf: tarfile.TarFile, info: tarfile.TarInfo, layer_index: int, name: str, display: str
    ) -> _Node | None:
        if info.isdir():
            existing = self.nodes.get(name)
            return (
                existing
                if existing is not None and existing.type == "dir"
                else _Node(type="dir", layer=layer_index)
            )
        if info.issym():
            link = _relative_link(name, info.linkname)
            return _Node(type="symlink", layer=layer_index, size=len(link.encode()), link=link)
        if info.islnk():
            target = _norm(info.linkname)
            if info.linkname.startswith("/") or ".." in target.split("/"):
                return _Node(
                    type="special",
                    layer=layer_index,
                    problems=[
                        ("hardlink-outside", f"a hard link to {info.linkname!r}, outside the container root")
                    ],
                )
            source = self.nodes.get(target)
            if source is not None and source.type == "file":
                return _Node(type="file", layer=layer_index, size=source.size, content=source.content)
            self.pending_hard.setdefault(target, []).append(name)
            return _Node(type="file", layer=layer_index, size=0)
        if info.isreg():
            size = info.size
            if size > self.limits.max_member_size:
                return _Node(
                    type="file",
                    layer=layer_index,
                    size=size,
                    problems=[
                        (
                            "too-large",
                            (
                                f"declares {size} bytes, more than the limit of "
                                f"{self.limits.max_member_size}; "
                                "not read"
                            ),
                        )
                    ],
                )
            content = self._content(tf, info, name)
            if content is not None:
                got = len(content) if isinstance(content, bytes) else content.size
                if got < size:
                    return _Node(
                        type="file",
                        layer=layer_index,
                        size=size,
                        problems=[("truncated", f"the layer ends {size - got} bytes into this file")],
                    )
            return _Node(type="file", layer=layer_index, size=size, content=content)
        what = (
            "a device file"
            if info.ischr() or info.isblk()
            else "a FIFO"
            if info.isfifo()
            else "not a regular file"
        )
        return _Node(
            type="special", layer=layer_index, problems=[("special-file", f"{what} in a layer; not read")]
        )

    def _content(self, tf: tarfile.TarFile, info: tarfile.TarInfo, name: str) -> bytes | Source | None:
        """The member's bytes when worth keeping (else ``None``); read once even when asked twice, since a
        stream-mode tar cannot go back (a file that is both visible and the target of a hard link)."""
        if self._last is not None and self._last[0] is info:
            return self._last[1]
        fobj = tf.extractfile(info)
        content: bytes | Source | None = None
        if fobj is not None:
            head = fobj.read(HEAD_SIZE)
            if _keep_content(name, head):
                content = self._keep(io.BufferedReader(_Prefixed(head, fobj)), info.size)
        self._last = (info, content)
        return content

    def _fill_hard_links(self, tf: tarfile.TarFile, info: tarfile.TarInfo, name: str) -> None:
        """A lower layer provides the target of hard links met above: give them its content."""
        links = self.pending_hard.pop(name)
        content = self._content(tf, info, name)
        for link in links:
            node = self.nodes.get(link)
            if node is not None:
                node.size, node.content = info.size, content


def _relative_link(name: str, target: str) -> str:
    """A symlink target as the container resolves it, relative to the link's folder: inside an image ``/`` is
    the image's root, so ``/lib/x`` from ``usr/lib/y`` is ``../../lib/x`` (which
    :func:`abigate.archive.resolve_link` resolves inside the artifact instead of calling it an escape), and a
    ``..`` at the root stays there."""
    folder = posixpath.dirname(name)
    if not target.startswith("/"):
        # ``..`` at the root stays at the root (as in a chroot): drop the ones that would climb above it.
        depth = len([p for p in folder.split("/") if p not in ("", ".")])
        parts = []
        for part in target.split("/"):
            if part == "..":
                if depth == 0:
                    continue
                depth -= 1
            elif part not in ("", "."):
                depth += 1
            parts.append(part)
        return "/".join(parts)
    inside = target.lstrip("/")
    return posixpath.relpath(inside or ".", folder or ".")


def merge_layers(
    image: Image,
    pimage: PlatformImage,
    *,
    upto: int | None = None,
    keep_from: int = 0,
    below: int | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[MergedTree, list[Problem]]:
    """The union of layers ``[0, upto)`` of *pimage*, as a container; members only from ``keep_from`` up.

    :param below: keep only the visible files that come from layers under this index: the image's *runtime*
        as the container sees it (what the upper layers removed or replaced is not in it).
    :returns: the tree (its ``problems`` are about the image as a whole) and ``(display, kind, message)``
        problems about single blobs and members (digest mismatches, ``../`` names…).
    """
    upto = len(pimage.layers) if upto is None else upto
    merger = _Merger(image, limits)
    for index in range(upto - 1, -1, -1):
        if index < keep_from and not merger.pending_hard:
            break  # the layers below only matter for hard links into them
        merger.apply(index, pimage.layers[index], keep_from)
    for target, links in merger.pending_hard.items():
        for link in links:
            node = merger.nodes.get(link)
            if node is not None:
                node.type = "special"
                node.problems.append(("hardlink-outside", f"a hard link to {target!r}, which no layer holds"))
    last = upto if below is None else below
    label = f"{image.display} ({image.describe(pimage)}, {'layer 1' if last == 1 else f'layers 1-{last}'})"
    nodes = merger.nodes if below is None else {k: v for k, v in merger.nodes.items() if v.layer < below}
    tree = MergedTree(nodes, merger.problems, label, merger.temp_files, keep_from)
    return tree, merger.member_problems


def iter_problems(image: Image) -> Iterator[Problem]:
    """Problems of the image's metadata (manifests, index, config)."""
    yield from image.problems


def profile_from_image(
    path: str, *, arch: str | None = None, profile_id: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> tuple[dict[str, Any], str]:
    """The runtime profile of an image's *base*: :func:`abigate.rootfs.profile_from_rootfs` over the merged
    layers :func:`base_layer_count` calls the runtime. Returns the profile data and the report line saying
    which layers were read.

    :param arch: pick this platform of a multi-platform index (default: ``linux/amd64``, else the first).
    :raises ProfileError: not an image, no image for *arch*, a single layer, a base that cannot be read whole,
        or a base with no C library.
    """
    from abigate.errors import ProfileError
    from abigate.rootfs import profile_from_rootfs

    image = open_image(path)
    if image is None:
        raise ProfileError(f"{path}: not a container image (a docker save tarball or an OCI image layout)")
    try:
        chosen, _ = select_platforms(image, arch, False)
        if not chosen:
            listed = ", ".join(p.platform or "unknown" for p in image.platforms) or "none"
            why = "; ".join(f"{p}: {m}" for p, _, m in image.problems[:3])
            raise ProfileError(
                f"{path}: no image for {arch or 'any platform'} (it holds {listed})"
                + (f": {why}" if why else "")
            )
        pimage = chosen[0]
        base, why = base_layer_count(pimage)
        if base == 0:
            raise ProfileError(f"{path}: the image has a single layer, so no lower layers can be its runtime")
        # Every layer is read, so that what the upper layers remove from the base is not in the runtime.
        tree, problems = merge_layers(image, pimage, below=base, limits=limits)
        try:
            fatal = [
                p
                for p in problems
                if p[1] in ("missing-blob", "truncated", "unreadable", "decompression-limit")
            ]
            if fatal:
                raise ProfileError(
                    f"{path}: the runtime layers cannot be read whole: "
                    + "; ".join(f"{p}: {kind}: {m}" for p, kind, m in fatal[:3])
                )
            note = split_note(image, pimage, base, why)
            data = profile_from_rootfs(
                tree,
                profile_id=profile_id,
                generator="abigate profile from-image",
                source=(
                    f"image:{image.display}",
                    f"the lower layers (1-{base}) of a {image.describe(pimage)}",
                ),
            )
        finally:
            tree.close()
    finally:
        image.close()
    if profile_id is None and str(data["id"]).startswith("rootfs-"):
        data["id"] = "image-" + str(data["id"])[len("rootfs-") :]
    return data, note
