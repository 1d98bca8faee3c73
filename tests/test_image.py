"""Container images (issue 8): docker save tarballs and OCI layouts built here, judged as their merged layers.

Images are written with tarfile/gzip/json/hashlib (``tests/imagebuild.py``) from committed ELF fixtures:
``glibc/v2_34.so`` needs GLIBC_2.34 (pthread_create, dlopen), ``glibc/v2_17.so`` is a manylinux2014-level
build (GLIBC_2.17 at most), ``rootfs/aarch64/libc.so.6`` is an aarch64 glibc defining GLIBC_2.17…2.28.
"""

from __future__ import annotations

import json
import shutil
import struct
import tempfile
from pathlib import Path

import pytest
from imagebuild import Item, docker_save, layer_tar, oci_layout, sha256

from abigate import image as image_mod
from abigate.cli import main
from abigate.errors import ProfileError
from abigate.image import ImageOptions, base_layer_count, open_image, profile_from_image
from abigate.profiles import load_profile
from abigate.scan import scan_path

ELF = Path(__file__).resolve().parent.parent / "testdata" / "elf"
LAMBDA = "aws-lambda-python3.11"
SITE = "var/lang/lib/python3.11/site-packages"
V234 = (ELF / "glibc/v2_34.so").read_bytes()
V217 = (ELF / "glibc/v2_17.so").read_bytes()


def _base() -> list[Item]:
    return [
        Item("etc", kind="dir"),
        Item("etc/os-release", b'ID=amzn\nVERSION_ID="2"\n'),
        Item("usr/lib64/libbase.so.1", V217),
        Item(
            "usr/lib64/libbase.so", kind="symlink", target="/usr/lib64/libbase.so.1"
        ),  # absolute: in the image
    ]


def _app() -> list[Item]:
    """cryptography's extension as built for glibc 2.34 (like cryptography 46's _rust.abi3.so)."""
    return [
        Item(f"{SITE}/cryptography", kind="dir"),
        Item(f"{SITE}/cryptography/_rust.abi3.so", V234),
        Item("etc/motd", b"CORRUPT-ME\n"),
    ]


def _fix() -> list[Item]:
    """The next layer reinstalls cryptography from a manylinux2014 wheel: the old folder is made opaque."""
    return [Item(f"{SITE}/cryptography/.wh..wh..opq"), Item(f"{SITE}/cryptography/_rust.abi3.so", V217)]


def _check(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["check", "--no-config", "--color", "never", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _findings(
    path: Path, profile: str, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, set[str]]:
    """Exit status and ``code member`` of every finding, from the JSON report."""
    code = main(["check", "--no-config", "--format", "json", "-p", profile, *extra, str(path)])
    report = json.loads(capsys.readouterr().out)
    found = {f"{f['code']} {f.get('member') or ''}" for a in report["artifacts"] for f in a["findings"]}
    return code, found


# -- the done-when cases ----------------------------------------------------------------------------------


def test_glibc_234_layer_fails_lambda(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    img = docker_save(tmp_path / "app.tar", [_base(), _app()])
    code, out = _check(["-p", LAMBDA, str(img)], capsys)
    assert code == 1
    assert "GLIBC_2.34" in out and f"{SITE}/cryptography/_rust.abi3.so" in out
    facts = scan_path(img, jobs=1)
    assert facts.kind == "image" and facts.read_as == "docker image with 2 layers"
    assert {n.member for n in facts.native_files} == {
        f"{SITE}/cryptography/_rust.abi3.so",
        "usr/lib64/libbase.so.1",
    }


def test_top_layer_whiteout_and_manylinux_build_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    img = docker_save(tmp_path / "fixed.tar", [_base(), _app(), _fix()])
    code, out = _check(["-p", LAMBDA, str(img)], capsys)
    assert code == 0, out
    (native,) = [n for n in scan_path(img, jobs=1).native_files if "cryptography" in n.member]
    assert native.elf is not None and native.elf.max_glibc == "GLIBC_2.17"


def test_whiteout_file_removes_a_lower_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    removed = [Item(f"{SITE}/cryptography/.wh._rust.abi3.so"), Item("opt/.wh.never-existed")]
    img = docker_save(tmp_path / "rm.tar", [_base(), _app(), removed])
    facts = scan_path(img, jobs=1)
    assert [n.member for n in facts.native_files] == ["usr/lib64/libbase.so.1"]
    assert not facts.problems  # a whiteout of a path no layer holds is harmless
    assert _check(["-p", LAMBDA, str(img)], capsys)[0] == 0


@pytest.mark.parametrize("form", ["folder", "tar", "tar-uncompressed", "tar-zstd"])
def test_oci_layout_gives_the_docker_save_verdict(
    form: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for layers, want in (([_base(), _app()], 1), ([_base(), _app(), _fix()], 0)):
        saved = docker_save(tmp_path / "docker.tar", layers)
        compress = {"tar-uncompressed": "none", "tar-zstd": "zstd"}.get(form, "gzip")
        target = tmp_path / ("oci" if form == "folder" else "oci.tar")
        shutil.rmtree(target, ignore_errors=True)
        if form == "folder":
            target.mkdir()
        oci = oci_layout(target, {"linux/amd64": layers}, as_tar=form != "folder", compress=compress)
        docker_code, docker_found = _findings(saved, LAMBDA, capsys)
        oci_code, oci_found = _findings(oci, LAMBDA, capsys)
        assert docker_code == oci_code == want
        assert docker_found == oci_found
        assert scan_path(oci, jobs=1).read_as.startswith("OCI image")


def test_digest_mismatch_is_abg004_and_the_rest_is_judged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    img = docker_save(tmp_path / "bad.tar", [_base(), _app()], corrupt_layer=1)
    code, found = _findings(img, LAMBDA, capsys)
    assert code == 1
    codes = {f.split()[0] for f in found}
    assert "ABG004" in codes and "ABG201" in codes and "ABG001" not in codes
    oci = oci_layout(
        tmp_path / "oci.tar",
        {"linux/amd64": [_base(), _app()]},
        as_tar=True,
        compress="none",
        corrupt_layer=1,
    )
    facts = scan_path(oci, jobs=1)
    (problem,) = facts.problems
    assert problem.kind == "digest-mismatch" and problem.path.startswith(f"{oci}!blobs/sha256/")


def test_clean_images_have_no_digest_problem(tmp_path: Path) -> None:
    for path in (
        docker_save(tmp_path / "d.tar", [_base(), _app()]),
        oci_layout(tmp_path / "o.tar", {"linux/amd64": [_base(), _app()]}, as_tar=True),
    ):
        assert scan_path(path, jobs=1).problems == ()


# -- the image as its own runtime ------------------------------------------------------------------------


def _elf_hash(name: bytes) -> int:
    h = 0
    for c in name:
        h = ((h << 4) + c) & 0xFFFFFFFF
        g = h & 0xF0000000
        if g:
            h ^= g >> 24
        h &= ~g & 0xFFFFFFFF
    return h


def _aarch64_needing(version: bytes) -> bytes:
    """``arch/aarch64-glibc2.28.so`` with its GLIBC_2.28 requirement renamed (same length, hash updated)."""
    data = (ELF / "arch/aarch64-glibc2.28.so").read_bytes()
    old_hash, new_hash = (struct.pack("<I", _elf_hash(v)) for v in (b"GLIBC_2.28", version))
    assert data.count(b"GLIBC_2.28\x00") == 1 and data.count(old_hash) == 1
    return data.replace(b"GLIBC_2.28\x00", version + b"\x00").replace(old_hash, new_hash)


def _glibc_231_base() -> list[Item]:
    libc = (ELF / "rootfs/aarch64/libc.so.6").read_bytes()
    assert libc.count(b"release version 2.28") == 1
    libc = libc.replace(b"release version 2.28", b"release version 2.31")
    return [
        Item("lib/aarch64-linux-gnu/libc-2.31.so", libc),
        Item("lib/aarch64-linux-gnu/libc.so.6", kind="symlink", target="libc-2.31.so"),
        Item("lib/ld-linux-aarch64.so.1", kind="symlink", target="/lib/aarch64-linux-gnu/libc-2.31.so"),
        Item("etc/os-release", b'ID=debian\nVERSION_ID="11"\nPRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\n'),
    ]


def test_profile_image_judges_the_app_layer_against_the_base(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = docker_save(
        tmp_path / "new.tar",
        [_glibc_231_base(), [Item("app/_x.so", _aarch64_needing(b"GLIBC_2.34"))]],
        arch="arm64",
    )
    code, out = _check(["--profile", "image", str(new)], capsys)
    assert code == 1, out
    assert "GLIBC_2.34" in out and "app/_x.so" in out
    assert "runtime = layer 1 of 2" in out and "judged: layer 2" in out
    assert "libc-2.31.so" not in out  # the base is the runtime, not judged
    old = docker_save(
        tmp_path / "old.tar",
        [_glibc_231_base(), [Item("app/_x.so", _aarch64_needing(b"GLIBC_2.17"))]],
        arch="arm64",
    )
    code, out = _check(["--profile", "image", str(old)], capsys)
    assert code == 0, out


def test_profile_from_image_writes_a_valid_profile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    img = docker_save(tmp_path / "app.tar", [_glibc_231_base(), [Item("app/_x.so", V217)]], arch="arm64")
    out = tmp_path / "image.toml"
    assert main(["profile", "from-image", str(img), "-o", str(out)]) == 0
    assert main(["profile", "validate", str(out)]) == 0
    profile = load_profile(str(out))
    assert (profile.id, profile.arch, profile.libc_version_text) == (
        "image-debian-11-aarch64",
        "aarch64",
        "2.31",
    )
    assert "GLIBC_2.28" in profile.library("libc.so.6").versions  # type: ignore[union-attr]
    capsys.readouterr()


def test_from_image_and_folder_give_the_same_profile(tmp_path: Path) -> None:
    """The merged-layer view and the folder view run the same rootfs code."""
    img = docker_save(tmp_path / "app.tar", [_glibc_231_base(), [Item("app/_x.so", V217)]], arch="arm64")
    from_image, _ = profile_from_image(str(img))
    root = tmp_path / "root"
    for item in _glibc_231_base():
        path = root / item.name
        path.parent.mkdir(parents=True, exist_ok=True)
        if item.kind == "symlink":
            path.symlink_to(item.target)
        else:
            path.write_bytes(item.data)
    from abigate.rootfs import profile_from_rootfs

    from_folder = profile_from_rootfs(str(root))
    for key in ("arch", "libc", "library_paths", "libraries", "os"):
        assert from_image[key] == from_folder[key], key


def test_base_ends_at_the_base_images_cmd() -> None:
    history = [
        {"created_by": "/bin/sh -c #(nop) ADD file:abc in / "},
        {"created_by": "RUN /bin/sh -c apt-get install -y python3 # buildkit"},
        {"created_by": '/bin/sh -c #(nop)  CMD ["bash"]', "empty_layer": True},
        {"created_by": "COPY app /app # buildkit"},
        {"created_by": 'CMD ["python3", "/app/main.py"]', "empty_layer": True},
    ]
    pimage = image_mod.PlatformImage(
        platform="linux/amd64",
        layers=[image_mod.Layer(name=str(i), digest=None) for i in range(3)],
        config={"history": history},
    )
    assert base_layer_count(pimage)[0] == 2
    pimage.config = {}
    assert base_layer_count(pimage) == (2, base_layer_count(pimage)[1])
    assert "every layer but the top one" in base_layer_count(pimage)[1]


def test_profile_image_refuses_a_single_layer_and_a_non_image(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = docker_save(tmp_path / "one.tar", [_glibc_231_base()], arch="arm64")
    with pytest.raises(ProfileError, match="single layer"):
        profile_from_image(str(one))
    assert _check(["--profile", "image", str(one)], capsys)[0] == 2
    plain = tmp_path / "plain.tar"
    plain.write_bytes(layer_tar([Item("x", b"x")]))
    with pytest.raises(ProfileError, match="not a container image"):
        profile_from_image(str(plain))


# -- multi-platform indexes ---------------------------------------------------------------------------------


def _two_platforms(tmp_path: Path) -> Path:
    arm = [[Item("app/_x.so", (ELF / "arch/aarch64-glibc2.17.so").read_bytes())]]
    return oci_layout(
        tmp_path / "multi.tar", {"linux/amd64": [_base(), _app()], "linux/arm64": arm}, as_tar=True
    )


def test_index_picks_the_profiles_architecture(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    img = _two_platforms(tmp_path)
    code, out = _check(["-p", LAMBDA, str(img)], capsys)
    assert code == 1 and "GLIBC_2.34" in out and "picked linux/amd64" in out
    code, out = _check(["-p", "aws-lambda-python3.11-arm64", str(img)], capsys)
    assert code == 0, out
    assert "picked linux/arm64" in out


def test_scan_without_profile_says_which_platform(tmp_path: Path) -> None:
    facts = scan_path(_two_platforms(tmp_path), jobs=1)
    assert facts.read_as == "OCI image for linux/amd64 with 2 layers"
    assert any("picked linux/amd64 of 2 platforms" in n for n in facts.notes)


def test_all_platforms_reports_each(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    img = _two_platforms(tmp_path)
    facts = scan_path(img, jobs=1, image_options=ImageOptions(all_platforms=True))
    assert [a.read_as for a in facts.nested] == [
        "OCI image for linux/amd64 with 2 layers",
        "OCI image for linux/arm64 with 1 layer",
    ]
    code, found = _findings(img, LAMBDA, capsys, "--all-platforms")
    assert code == 1
    assert any(f.startswith("ABG201") for f in found)  # amd64: GLIBC_2.34
    assert any(f.startswith("ABG10") for f in found)  # arm64 judged too: wrong machine for x86_64


def test_index_without_the_profiles_platform_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    img = oci_layout(
        tmp_path / "arm.tar",
        {"linux/arm64": [[Item("a", b"a")]], "linux/s390x": [[Item("b", b"b")]]},
        as_tar=True,
    )
    code, out = _check(["-p", LAMBDA, str(img)], capsys)
    assert code == 1 and "no-matching-platform" in out


# -- bad input ---------------------------------------------------------------------------------------------


def test_traversal_names_are_unsafe_and_the_rest_is_judged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    evil = [Item("../../etc/cron.d/x", b"x"), Item("/etc/passwd", b"root"), *_app()]
    img = docker_save(tmp_path / "evil.tar", [_base(), evil])
    code, found = _findings(img, LAMBDA, capsys)
    assert code == 1
    assert sum(f.startswith("ABG003") for f in found) == 2
    assert any(f.startswith("ABG201") for f in found)


def test_missing_layer_is_a_finding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    img = docker_save(tmp_path / "missing.tar", [_base(), [Item("app/ok.so", V217)]], drop_layer=1)
    code, out = _check(["-p", LAMBDA, str(img)], capsys)
    assert code == 1 and "missing-blob" in out and "Traceback" not in out


def test_truncated_layer_is_a_finding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    big = [Item(f"app/f{i}.so", V217) for i in range(6)]
    img = docker_save(tmp_path / "cut.tar", [_base(), big], truncate_layer=1)
    facts = scan_path(img, jobs=1)
    kinds = {p.kind for p in facts.problems}
    assert kinds & {"truncated", "digest-mismatch"} and "truncated" in kinds
    assert _check(["-p", LAMBDA, str(img)], capsys)[0] == 1


def test_devices_and_hard_links(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    layer = [
        Item("dev/null", kind="chardev"),
        Item("app/lib.so", V234),
        Item("app/same.so", kind="hardlink", target="app/lib.so"),  # inside the layer: judged like the file
        Item("app/outside.so", kind="hardlink", target="../../etc/shadow"),
        Item("app/nowhere.so", kind="hardlink", target="opt/not/there.so"),
    ]
    img = docker_save(tmp_path / "links.tar", [_base(), layer])
    facts = scan_path(img, jobs=1)
    assert {n.member for n in facts.native_files} >= {"app/lib.so", "app/same.so"}
    kinds = {(p.path.rsplit("!", 1)[-1], p.kind) for p in facts.problems}
    assert {
        ("dev/null", "special-file"),
        ("app/outside.so", "hardlink-outside"),
        ("app/nowhere.so", "hardlink-outside"),
    } <= kinds
    code, found = _findings(img, LAMBDA, capsys)
    assert code == 1 and "ABG003 app/outside.so" in found and "ABG001 dev/null" in found


def test_hard_link_into_a_lower_layer(tmp_path: Path) -> None:
    img = docker_save(
        tmp_path / "hl.tar",
        [_base(), [Item("app/copy.so", kind="hardlink", target="usr/lib64/libbase.so.1")]],
    )
    facts = scan_path(img, jobs=1)
    (copy,) = [n for n in facts.native_files if n.member == "app/copy.so"]
    assert copy.elf is not None and not facts.problems


def test_absolute_symlinks_resolve_inside_the_image(tmp_path: Path) -> None:
    facts = scan_path(docker_save(tmp_path / "s.tar", [_base()]), jobs=1)
    (link,) = facts.links
    assert link.resolved == "usr/lib64/libbase.so.1"
    assert not facts.problems


def test_members_beyond_the_memory_cap_go_to_anonymous_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(image_mod, "MEMORY_MEMBER_CAP", 100)
    monkeypatch.setattr(image_mod, "MEMORY_BUDGET", 100)
    img = docker_save(tmp_path / "app.tar", [_base(), _app()])
    # A private temporary folder: the shared /tmp changes under other processes' feet.
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    code, out = _check(["-p", LAMBDA, str(img)], capsys)
    assert code == 1 and "GLIBC_2.34" in out
    assert list(private_tmp.iterdir()) == []  # the spilled members were anonymous: nothing named is left


def test_broken_metadata_is_a_finding_not_a_crash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "oci"
    root.mkdir()
    oci_layout(root, {"linux/amd64": [_base()]})
    (root / "index.json").write_text('{"manifests": [{"digest": "sha256:' + "0" * 64 + '"}]}')
    code, out = _check(["-p", LAMBDA, str(root)], capsys)
    assert code == 1 and "missing-blob" in out and "Traceback" not in out
    (root / "index.json").write_text("not json")
    code, out = _check(["-p", LAMBDA, str(root)], capsys)
    assert code == 1 and "bad-manifest" in out


def test_metadata_nested_thousands_deep_is_a_finding_not_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """json.loads recurses once per array level: 3,000 levels raised RecursionError (exit 3) before."""
    deep = "[" * 3000 + "]" * 3000
    root = tmp_path / "oci"
    root.mkdir()
    oci_layout(root, {"linux/amd64": [_base()]})
    (root / "index.json").write_text(deep)
    code, out = _check(["-p", LAMBDA, str(root)], capsys)
    assert code == 1 and "bad-manifest" in out and "nested too deeply" in out and "Traceback" not in out
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "manifest.json").write_text(deep)
    assert open_image(str(saved)) is None  # not taken for an unpacked docker save
    from abigate.conda import parse_index

    assert parse_index('{"depends": ' + deep + "}") is None


def test_a_blob_name_holding_nul_is_a_missing_blob_not_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """os.path raises ValueError on an embedded NUL: an unpacked docker save naming one exited 3 (fuzzing)."""
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "manifest.json").write_text(json.dumps([{"Config": "c\u0000.json", "Layers": ["l\u0000.tar"]}]))
    code, out = _check(["-p", LAMBDA, str(saved)], capsys)
    assert code == 1 and "missing-blob" in out and "Traceback" not in out


def test_not_an_image_is_left_to_the_other_readers(tmp_path: Path) -> None:
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "index.json").write_text("{}")  # no oci-layout: an ordinary folder
    assert open_image(str(folder)) is None
    plain = tmp_path / "p.tar"
    plain.write_bytes(layer_tar([Item("manifest.txt", b"x")]))
    assert open_image(str(plain)) is None
    assert sha256(b"").startswith("sha256:e3b0")


def test_an_image_is_the_whole_file_system_for_library_search(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """liba needs libb and has no RPATH: the image's /usr/lib64 copy is found where the profile searches
    /usr/lib64 (Lambda), and is not where it does not (Debian searches its multiarch folders)."""
    libs = ELF / "bundle/chain_rpath/pkg.libs"
    img = docker_save(
        tmp_path / "dep.tar",
        [
            [Item("usr/lib64/libb-1234abcd.so.1", (libs / "libb-1234abcd.so.1").read_bytes())],
            [Item("opt/x/liba.so.1", (libs / "liba-5e6f7a8b.so.1").read_bytes())],
        ],
    )
    assert _findings(img, LAMBDA, capsys) == (0, set())
    code, found = _findings(img, "debian-12", capsys)
    assert code == 1 and "ABG402 opt/x/liba.so.1" in found


def test_compressed_image_tarball(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``docker save | gzip``: decompressed into an anonymous file and read as the image, not as a tar.gz."""
    import gzip

    saved = docker_save(tmp_path / "app.tar", [_base(), _app()])
    packed = tmp_path / "app.tar.gz"
    packed.write_bytes(gzip.compress(saved.read_bytes()))
    facts = scan_path(packed, jobs=1)
    assert facts.kind == "image" and facts.read_as == "docker image with 2 layers"
    assert any("gzip-compressed image tarball" in n for n in facts.notes)
    assert _findings(packed, LAMBDA, capsys) == _findings(saved, LAMBDA, capsys)
    plain = tmp_path / "layer.tar.gz"
    plain.write_bytes(gzip.compress(layer_tar(_app())))
    assert open_image(str(plain)) is None


def test_the_runtime_is_the_base_as_the_container_sees_it(tmp_path: Path) -> None:
    """A library the app layer deletes from the base is not part of the runtime profile."""
    foo = [Item("lib/aarch64-linux-gnu/libfoo.so.1", (ELF / "rootfs/aarch64/libfoo.so.1.2").read_bytes())]
    kept = docker_save(tmp_path / "kept.tar", [_glibc_231_base(), foo, [Item("app/x", b"x")]], arch="arm64")
    gone = docker_save(
        tmp_path / "gone.tar",
        [_glibc_231_base(), foo, [Item("lib/aarch64-linux-gnu/.wh.libfoo.so.1"), Item("app/x", b"x")]],
        arch="arm64",
    )
    assert "libfoo.so.1" in profile_from_image(str(kept))[0]["libraries"]
    assert "libfoo.so.1" not in profile_from_image(str(gone))[0]["libraries"]


def test_relative_links_stop_at_the_image_root(tmp_path: Path) -> None:
    """``..`` at ``/`` stays at ``/`` in a container: not an escape."""
    links = [Item("usr/lib64/libz.so", kind="symlink", target="../../../../usr/lib64/libbase.so.1")]
    facts = scan_path(docker_save(tmp_path / "l.tar", [_base(), links]), jobs=1)
    resolved = {link.member: link.resolved for link in facts.links}
    assert resolved["usr/lib64/libz.so"] == "usr/lib64/libbase.so.1"
    assert not facts.problems


def test_a_huge_pax_header_is_refused_before_it_is_read(tmp_path: Path) -> None:
    import tarfile

    import imagebuild

    header = tarfile.TarInfo("././@PaxHeader")
    header.type, header.size = tarfile.XHDTYPE, 4 << 30  # would be read whole into memory by tarfile
    hostile = header.tobuf(format=tarfile.USTAR_FORMAT) + b"x" * 4096

    def hostile_layer(items: list[Item]) -> bytes:
        return hostile if items and items[0].name == "HOSTILE" else layer_tar(items)

    original = imagebuild.layer_tar
    imagebuild.layer_tar = hostile_layer  # type: ignore[assignment]
    try:
        img = docker_save(tmp_path / "pax.tar", [_base(), [Item("HOSTILE")]])
    finally:
        imagebuild.layer_tar = original  # type: ignore[assignment]
    facts = scan_path(img, jobs=1)
    (problem,) = [p for p in facts.problems if p.kind == "truncated"]
    assert "pax header of 4294967296 bytes" in problem.message
    assert {n.member for n in facts.native_files} == {"usr/lib64/libbase.so.1"}  # the base is still judged


def test_docker_25_save_is_an_oci_layout_with_manifest_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Docker 25+ ``docker save`` writes blobs/sha256/…, index.json, oci-layout *and* manifest.json."""
    import io
    import tarfile

    layers = [_base(), _app()]
    oci = oci_layout(tmp_path / "oci.tar", {"linux/amd64": layers}, as_tar=True, compress="none")
    members = {}
    with tarfile.open(oci) as tf:
        for info in tf.getmembers():
            members[info.name] = tf.extractfile(info).read()  # type: ignore[union-attr]
    index = json.loads(members["index.json"])
    manifest = json.loads(members["blobs/sha256/" + index["manifests"][0]["digest"].split(":")[1]])
    entry = {
        "Config": "blobs/sha256/" + manifest["config"]["digest"].split(":")[1],
        "RepoTags": ["app:1"],
        "Layers": ["blobs/sha256/" + layer["digest"].split(":")[1] for layer in manifest["layers"]],
    }
    members["manifest.json"] = json.dumps([entry]).encode()
    saved = tmp_path / "docker25.tar"
    with tarfile.open(saved, "w") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    facts = scan_path(saved, jobs=1)
    assert facts.read_as == "docker image with 2 layers" and not facts.problems
    assert _findings(saved, LAMBDA, capsys) == _findings(oci, LAMBDA, capsys)


def test_profile_image_follows_the_config_history(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    history = [
        {"created_by": "ADD rootfs.tar /"},
        {"created_by": "RUN apt-get install -y libfoo1"},
        {"created_by": 'CMD ["bash"]', "empty_layer": True},
        {"created_by": "COPY app /app"},
        {"created_by": 'ENTRYPOINT ["/app/run"]', "empty_layer": True},
    ]
    foo = [Item("lib/aarch64-linux-gnu/libfoo.so.1", (ELF / "rootfs/aarch64/libfoo.so.1.2").read_bytes())]
    app = [Item("app/_x.so", _aarch64_needing(b"GLIBC_2.17"))]
    img = docker_save(tmp_path / "h.tar", [_glibc_231_base(), foo, app], arch="arm64", history=history)
    code, out = _check(["--profile", "image", str(img)], capsys)
    assert code == 0, out
    assert "runtime = layers 1-2 of 3 (the config history" in out and "judged: layer 3" in out
    assert "libfoo.so.1" in profile_from_image(str(img))[0]["libraries"]


def test_an_image_with_its_own_libc_suggests_profile_image(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    img = docker_save(tmp_path / "own.tar", [_glibc_231_base(), [Item("app/x", b"x")]], arch="arm64")
    _, out = _check(["-p", "aws-lambda-python3.11-arm64", str(img)], capsys)
    assert "ships its own C library (lib/aarch64-linux-gnu/libc-2.31.so)" in out and "--profile image" in out
    _, out = _check(["-p", LAMBDA, str(docker_save(tmp_path / "no.tar", [_base(), _app()]))], capsys)
    assert "ships its own C library" not in out


def test_standard_input_gives_the_files_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``cat app.tar | abigate check -``: the spooled bytes are read as the image, not as a tar of blobs."""
    import gzip
    import io
    import sys

    img = docker_save(tmp_path / "app.tar", [_base(), _app(), _fix()])
    broken = docker_save(tmp_path / "broken.tar", [_base(), _app()])
    for path, data in ((img, img.read_bytes()), (broken, gzip.compress(broken.read_bytes()))):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
        code, found = _findings(Path("-"), LAMBDA, capsys)
        assert (code, found) == _findings(path, LAMBDA, capsys)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(img.read_bytes())))
    facts = scan_path("-", jobs=1)
    assert facts.path == "<stdin>" and facts.read_as == "docker image with 3 layers"


def test_profile_image_on_an_alpine_base(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A musl base (the host's libc.so.6 stands in for musl's loader, as in test_rootfs): a musl build of
    the app passes, a glibc build fails."""
    host_libc = next(
        (
            Path(d) / "libc.so.6"
            for d in ("/lib/x86_64-linux-gnu", "/lib64")
            if (Path(d) / "libc.so.6").exists()
        ),
        None,
    )
    if host_libc is None:
        pytest.skip("needs a host x86_64 ELF library to stand in for musl's loader")
    base = [
        Item("lib/ld-musl-x86_64.so.1", host_libc.resolve().read_bytes()),
        Item("lib/libc.musl-x86_64.so.1", kind="symlink", target="ld-musl-x86_64.so.1"),
        Item("lib/apk/db/installed", b"C:Q1abc\nP:musl\nV:1.2.5-r9\n"),
        Item("etc/os-release", b'ID=alpine\nVERSION_ID=3.21.0\nPRETTY_NAME="Alpine Linux v3.21"\n'),
    ]
    musl_app = docker_save(
        tmp_path / "musl.tar", [base, [Item("app/_x.so", (ELF / "arch/x86_64-musl.so").read_bytes())]]
    )
    glibc_app = docker_save(tmp_path / "glibc.tar", [base, [Item("app/_x.so", V217)]])
    data, _ = profile_from_image(str(musl_app))
    assert data["id"] == "image-alpine-3.21.0-x86_64" and data["libc"] == {
        "family": "musl",
        "version": "1.2.5",
    }
    code, out = _check(["--profile", "image", str(musl_app)], capsys)
    assert code == 0, out
    code, out = _check(["--profile", "image", str(glibc_app)], capsys)
    assert code == 1 and "ABG210" in out, out


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("manifest.json", [{"Config": 7, "RepoTags": "x", "Layers": [None, "../../etc/passwd", "/abs"]}]),
        ("manifest.json", [{"Config": "c.json", "Layers": {"a": 1}}]),
        ("config", {"rootfs": "x", "history": [1, "a"], "architecture": ["amd64"]}),
    ],
)
def test_malformed_json_fields_are_findings(
    name: str, value: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import io
    import tarfile

    saved = docker_save(tmp_path / "app.tar", [_base(), _app()])
    with tarfile.open(saved) as tf:
        members = {m.name: tf.extractfile(m).read() for m in tf.getmembers()}  # type: ignore[union-attr]
    if name == "config":
        name = next(n for n in members if n.endswith(".json") and n != "manifest.json")
    members[name] = json.dumps(value).encode()
    bad = tmp_path / "bad.tar"
    with tarfile.open(bad, "w") as tf:
        for member, data in members.items():
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    facts = scan_path(bad, jobs=1)
    assert facts.kind == "image" and facts.problems
    code, out = _check(["-p", LAMBDA, str(bad)], capsys)
    assert code == 1 and "Traceback" not in out


def test_random_damage_never_crashes(tmp_path: Path) -> None:
    import random

    rng = random.Random(8)
    sources = [
        docker_save(tmp_path / "d.tar", [_base(), _app(), _fix()]),
        oci_layout(
            tmp_path / "o.tar", {"linux/amd64": [_base(), _app()], "linux/arm64": [_base()]}, as_tar=True
        ),
    ]
    for source in sources:
        data = source.read_bytes()
        for _ in range(25):
            damaged = bytearray(data)
            for _ in range(rng.randint(1, 12)):
                damaged[rng.randrange(len(damaged))] = rng.randrange(256)
            if rng.random() < 0.3:
                damaged = damaged[: rng.randrange(len(damaged))]
            target = tmp_path / "damaged.tar"
            target.write_bytes(bytes(damaged))
            scan_path(target, jobs=1)  # a finding or a plain tar, never an exception


def test_a_manifest_listed_under_two_tags_is_judged_once(tmp_path: Path) -> None:
    root = tmp_path / "oci"
    root.mkdir()
    oci_layout(root, {"linux/amd64": [_base(), _app()]})
    index = json.loads((root / "index.json").read_text())
    desc = index["manifests"][0]
    index["manifests"] = [
        dict(desc, annotations={"org.opencontainers.image.ref.name": t}) for t in ("1.0", "latest")
    ]
    (root / "index.json").write_text(json.dumps(index))
    facts = scan_path(root, jobs=1, image_options=ImageOptions(all_platforms=True))
    assert facts.nested == () and facts.read_as == "OCI image (layout folder) for linux/amd64 with 2 layers"
