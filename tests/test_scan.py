"""scan_path end to end on archives built in the test: layouts, content sniffing, nesting, folders, limits."""

from __future__ import annotations

import os
import struct
import typing
from pathlib import Path

import pytest

from abigate import scan as scan_module
from abigate.errors import UsageError
from abigate.facts import ArtifactFacts
from abigate.scan import scan_path, scan_paths
from conftest import ELF_STUB, STORED, M, make_wheel, make_zip, patch_member, write_zip

PE_STUB = (b"MZ" + b"\0" * 0x3A + struct.pack("<I", 0x40) + b"PE\0\0"
           + struct.pack("<HHIIIHH", 0x8664, 0, 0, 0, 0, 0xF0, 0x2022) + struct.pack("<H", 0x20B) + b"\0" * 0x200)
MACHO_STUB = b"\xcf\xfa\xed\xfe" + struct.pack("<IIIIII", 0x01000007, 3, 8, 0, 0, 0) + b"\0" * 4


def _problems(facts: ArtifactFacts) -> list[tuple[str, str]]:
    return [(p.path, p.kind) for art in facts.walk() for p in art.problems]


# -- wheels -------------------------------------------------------------------------------------------


def test_wheel_tags_distribution_and_native_files_by_content(tmp_path: Path) -> None:
    whl = make_wheel(
        tmp_path, "demo", "1.0", "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64",
        {
            "demo/__init__.py": "",
            "demo/_core.cpython-312-x86_64-linux-gnu.so": ELF_STUB,
            "demo/bin/helper": ELF_STUB,  # no extension: still native
            "demo/_win.cp312-win_amd64.pyd": PE_STUB,
            "demo/_mac.so": MACHO_STUB,
            "demo/fake.so": b"not a binary, just a name",  # a name decides nothing
        },
        wheel_tags=["cp312-cp312-manylinux_2_17_x86_64", "cp312-cp312-manylinux2014_x86_64"],
        unlisted={"demo/hidden.so.1": ELF_STUB},  # missing from RECORD: still found
    )
    facts = scan_path(whl, jobs=1)
    assert facts.kind == "wheel"
    assert facts.problems == ()
    wheel = facts.wheel
    assert wheel is not None
    assert (wheel.name, wheel.version, wheel.build) == ("demo", "1.0", None)
    assert wheel.filename_tags == ("cp312-cp312-manylinux2014_x86_64", "cp312-cp312-manylinux_2_17_x86_64")
    assert wheel.metadata_tags == wheel.filename_tags
    assert wheel.root_is_purelib is False
    (dist,) = facts.distributions
    assert (dist.name, dist.version, dist.dist_info, dist.root) == ("demo", "1.0", "demo-1.0.dist-info", "")
    assert dist.record is not None and "demo/bin/helper" in dist.record
    natives = {nf.member: nf for nf in facts.native_files}
    assert sorted(natives) == [
        "demo/_core.cpython-312-x86_64-linux-gnu.so", "demo/_mac.so", "demo/_win.cp312-win_amd64.pyd",
        "demo/bin/helper", "demo/hidden.so.1",
    ]
    assert {m: nf.kind for m, nf in natives.items()} == {
        "demo/_core.cpython-312-x86_64-linux-gnu.so": "elf", "demo/_mac.so": "macho",
        "demo/_win.cp312-win_amd64.pyd": "pe", "demo/bin/helper": "elf", "demo/hidden.so.1": "elf",
    }
    core = natives["demo/_core.cpython-312-x86_64-linux-gnu.so"]
    assert core.path == f"{whl}!demo/_core.cpython-312-x86_64-linux-gnu.so"
    assert core.size == len(ELF_STUB)
    assert core.elf is not None and core.elf.arch == "x86_64"
    assert core.extension is not None and core.extension.python_version == (3, 12)
    assert core.distribution == "demo==1.0"
    assert natives["demo/hidden.so.1"].distribution is None
    assert natives["demo/bin/helper"].extension is None
    assert natives["demo/_win.cp312-win_amd64.pyd"].pe is not None
    assert facts.member_count == 10
    assert "demo/fake.so" in facts.members and "demo-1.0.dist-info/RECORD" in facts.members
    assert list(facts.members) == sorted(facts.members)


def test_wheel_with_a_bad_file_name_is_still_scanned(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "not-a-wheel-name.whl", [M("x.so", ELF_STUB)])
    facts = scan_path(path, jobs=1)
    assert facts.kind == "wheel" and facts.wheel is None
    assert _problems(facts) == [(str(path), "invalid-wheel-filename")]
    assert len(facts.native_files) == 1


# -- deploy zip layouts -------------------------------------------------------------------------------


def _dist(prefix: str, name: str, files: list[str]) -> list[M]:
    dist_info = f"{prefix}{name}-2.0.dist-info"
    record = "".join(f"{f},,\n" for f in files)
    return [M(f"{dist_info}/RECORD", record), M(f"{dist_info}/WHEEL", "Wheel-Version: 1.0\nTag: cp312-abi3-linux_x86_64\n")]


@pytest.mark.parametrize(
    "prefix",
    ["", "python/", "python/lib/python3.12/site-packages/", ".python_packages/lib/site-packages/"],
    ids=["lambda-function", "layer-python", "layer-site-packages", "azure"],
)
def test_deploy_zip_layouts_map_record_to_the_container_root(tmp_path: Path, prefix: str) -> None:
    members = [
        M("handler.py", "def handler(e, c): pass\n"),
        M(f"{prefix}fastlib/_speed.abi3.so", ELF_STUB),
        M(f"{prefix}fastlib/__init__.py", ""),
        *_dist(prefix, "fastlib", ["fastlib/_speed.abi3.so", "fastlib/__init__.py"]),
        M(f"{prefix}stray/_x.so", ELF_STUB),
    ]
    facts = scan_path(write_zip(tmp_path / "function.zip", members), jobs=1)
    assert facts.kind == "zip" and facts.wheel is None
    (dist,) = facts.distributions
    assert dist.root == prefix
    assert dist.dist_info == f"{prefix}fastlib-2.0.dist-info"
    assert dist.wheel_tags == ("cp312-abi3-linux_x86_64",)
    assert dist.record == (f"{prefix}fastlib/__init__.py", f"{prefix}fastlib/_speed.abi3.so")
    owners = {nf.member: nf.distribution for nf in facts.native_files}
    assert owners == {f"{prefix}fastlib/_speed.abi3.so": "fastlib==2.0", f"{prefix}stray/_x.so": None}
    ext = next(nf.extension for nf in facts.native_files if nf.member.endswith("abi3.so"))
    assert ext is not None and ext.kind == "abi3"


def test_several_distributions_in_one_layer(tmp_path: Path) -> None:
    members = [*_dist("python/", "alpha", ["alpha/a.so"]), M("python/alpha/a.so", ELF_STUB),
               *_dist("python/", "beta", ["beta/b.so"]), M("python/beta/b.so", ELF_STUB)]
    facts = scan_path(write_zip(tmp_path / "layer.zip", members), jobs=1)
    assert [d.key for d in facts.distributions] == ["alpha==2.0", "beta==2.0"]
    assert [nf.distribution for nf in facts.native_files] == ["alpha==2.0", "beta==2.0"]


# -- nesting ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("compression", [STORED, 8], ids=["stored", "deflated"])
def test_nested_wheels_get_display_paths_with_bangs(tmp_path: Path, compression: int) -> None:
    wheel_dir = tmp_path / "w"
    wheel_dir.mkdir()
    whl = make_wheel(wheel_dir, "rusty", "0.1", "cp39-abi3-manylinux_2_28_aarch64", {"rusty/_rust.abi3.so": ELF_STUB})
    bundle = write_zip(tmp_path / "bundle.zip", [M("README", "hi"), M(whl.name, whl.read_bytes(), compression=compression)])
    facts = scan_path(bundle, jobs=1)
    assert facts.native_files == ()
    (inner,) = facts.nested
    assert inner.path == f"{bundle}!{whl.name}"
    assert inner.kind == "wheel"
    assert inner.wheel is not None and inner.wheel.filename_tags == ("cp39-abi3-manylinux_2_28_aarch64",)
    (nf,) = inner.native_files
    assert nf.path == f"{bundle}!{whl.name}!rusty/_rust.abi3.so"
    assert nf.member == "rusty/_rust.abi3.so"
    assert nf.distribution == "rusty==0.1"
    assert facts.members == ("README", whl.name)


def test_nesting_deeper_than_the_limit_is_reported(tmp_path: Path) -> None:
    data = make_zip([M("core.so", ELF_STUB)])
    for level in range(6):
        data = make_zip([M(f"level{level}.zip", data)])
    facts = scan_path(write_zip(tmp_path / "deep.zip", [M("top.zip", data)]), jobs=1, max_nesting_depth=3)
    depth = 0
    art = facts
    while art.nested:
        (art,) = art.nested
        depth += 1
    assert depth == 3
    assert [p.kind for p in art.problems] == ["nesting-too-deep"]


def test_nested_archive_too_large_for_memory_is_read_from_a_temporary_file(tmp_path: Path) -> None:
    inner = make_zip([M("x.so", ELF_STUB), M("pad.bin", os.urandom(4000), compression=STORED)])
    path = write_zip(tmp_path / "b.zip", [M("inner.zip", inner), M("ok.so", ELF_STUB)])
    facts = scan_path(path, jobs=1, max_nested_in_memory=1000)
    assert _problems(facts) == []
    assert [nf.member for nf in facts.native_files] == ["ok.so"]
    assert [nf.member for nf in facts.nested[0].native_files] == ["x.so"]


def test_data_that_only_starts_like_a_zip_is_not_nested(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "b.zip", [M("data.bin", b"PK\x03\x04 and then garbage" * 10),
                                          M("broken.whl", b"PK\x03\x04 garbage")])
    facts = scan_path(path, jobs=1)
    (broken,) = facts.nested
    assert broken.path == f"{path}!broken.whl"
    assert [p.kind for p in broken.problems if p.kind == "corrupt-archive"] == ["corrupt-archive"]


# -- hostile input: the rest is still scanned ---------------------------------------------------------


def test_problems_do_not_stop_the_scan(tmp_path: Path) -> None:
    data = make_zip([
        M("enc.so", ELF_STUB), M("../escape.so", ELF_STUB), M("dup.so", ELF_STUB), M("dup.so", ELF_STUB),
        M("bomb.bin", b"\0" * (2 << 20)), M("crc.txt", "hello"), M("good.so", ELF_STUB),
        M("lib/link.so", link="../../../etc/passwd"), M("lib/ok-link.so", link="../good.so"),
    ])
    data = patch_member(data, "enc.so", flags=1)
    data = patch_member(data, "crc.txt", crc=0xDEAD)
    path = tmp_path / "hostile.zip"
    path.write_bytes(data)
    facts = scan_path(path, jobs=1, max_ratio=100)
    kinds = sorted((p.path.split("!", 1)[1], p.kind) for p in facts.problems)
    assert kinds == [
        ("../escape.so", "path-traversal"), ("bomb.bin", "zip-bomb"), ("crc.txt", "crc-mismatch"),
        ("dup.so", "duplicate-name"), ("enc.so", "encrypted"), ("lib/link.so", "symlink-escape"),
    ]
    assert [nf.member for nf in facts.native_files] == ["../escape.so", "dup.so", "dup.so", "good.so"]
    links = {link.member: link.resolved for link in facts.links}
    assert links == {"lib/link.so": None, "lib/ok-link.so": "good.so"}
    assert "enc.so" in facts.members and "bomb.bin" in facts.members


def test_corrupt_top_level_archive_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "broken.zip"
    path.write_bytes(make_zip([M("a.so", ELF_STUB)])[:-30])
    facts = scan_path(path, jobs=1)
    assert facts.kind == "zip"
    assert _problems(facts) == [(str(path), "corrupt-archive")]


def test_too_many_members(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "many.zip", [M(f"f{i}", "x") for i in range(20)])
    facts = scan_path(path, jobs=1, max_members=10)
    assert _problems(facts) == [(str(path), "too-many-members")]


def test_total_size_limit(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "big.zip", [M("a.so", ELF_STUB), M("b.so", ELF_STUB)])
    facts = scan_path(path, jobs=1, max_total_size=100)
    assert [nf.member for nf in facts.native_files] == ["a.so"]
    assert _problems(facts) == [(str(path), "zip-bomb")]


# -- folders and files --------------------------------------------------------------------------------


def test_folder_scan_with_links_escapes_and_loops(tmp_path: Path) -> None:
    root = tmp_path / "site-packages"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "_x.cpython-312-x86_64-linux-gnu.so").write_bytes(ELF_STUB)
    (root / "pkg" / "libfoo.so.1").write_bytes(ELF_STUB)
    (root / "pkg" / "libfoo.so").symlink_to("libfoo.so.1")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.so").write_bytes(ELF_STUB)
    (root / "out").symlink_to(outside)
    (root / "loop1").symlink_to("loop2")
    (root / "loop2").symlink_to("loop1")
    (root / "pkg" / "self").symlink_to("..")
    facts = scan_path(root, jobs=1)
    assert facts.kind == "directory"
    assert [nf.member for nf in facts.native_files] == ["pkg/_x.cpython-312-x86_64-linux-gnu.so", "pkg/libfoo.so.1"]
    assert facts.native_files[0].path == f"{root}/pkg/_x.cpython-312-x86_64-linux-gnu.so"
    links = {link.member: link.resolved for link in facts.links}
    assert links == {"loop1": None, "loop2": None, "out": None, "pkg/libfoo.so": "pkg/libfoo.so.1", "pkg/self": ""}
    assert sorted((p.path.rsplit("/", 1)[1], p.kind) for p in facts.problems) == [
        ("loop1", "symlink-loop"), ("loop2", "symlink-loop"), ("out", "symlink-escape")]
    assert not any("secret" in m for m in facts.members)


def test_folder_with_wheels_inside(tmp_path: Path) -> None:
    whl = make_wheel(tmp_path, "demo", "1.0", "py3-none-manylinux_2_17_x86_64", {"demo/x.so": ELF_STUB})
    facts = scan_path(tmp_path, jobs=1)
    (inner,) = facts.nested
    assert inner.path == f"{tmp_path}/{whl.name}"
    assert inner.native_files[0].path == f"{tmp_path}/{whl.name}!demo/x.so"


def test_single_native_file(tmp_path: Path) -> None:
    path = tmp_path / "libthing.so.3"
    path.write_bytes(ELF_STUB)
    facts = scan_path(path, jobs=1)
    assert facts.kind == "file"
    (nf,) = facts.native_files
    assert (nf.path, nf.member, nf.size, nf.kind) == (str(path), "libthing.so.3", len(ELF_STUB), "elf")
    assert facts.members == ("libthing.so.3",)


def test_single_non_native_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    facts = scan_path(path, jobs=1)
    assert (facts.kind, facts.native_files, facts.problems) == ("file", (), ())


def test_truncated_native_member_carries_the_parser_error(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "t.zip", [M("short.so", ELF_STUB[:30])])
    (nf,) = scan_path(path, jobs=1).native_files
    assert nf.kind == "elf" and nf.error


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        scan_paths([tmp_path, tmp_path / "missing.whl"])


# -- workers ------------------------------------------------------------------------------------------


def test_results_do_not_depend_on_jobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Send every native member to the workers, then compare with an all-in-process scan.
    monkeypatch.setattr(scan_module, "PARALLEL_MIN_SIZE", 1)
    monkeypatch.setattr(scan_module, "PARALLEL_MIN_TOTAL", 1)
    inner = make_zip([M("n.so", ELF_STUB)])
    files: dict[str, bytes | str] = {f"pkg/m{i}.so": ELF_STUB + bytes(i) for i in range(12)}
    whl = make_wheel(tmp_path, "par", "1.0", "py3-none-linux_x86_64", files)
    bundle = write_zip(tmp_path / "bundle.zip", [M(whl.name, whl.read_bytes(), compression=STORED), M("i.zip", inner),
                                                 M("bin/tool", ELF_STUB)])
    submitted: list[str] = []
    original = scan_module._Scanner._submit

    def spy(self: scan_module._Scanner, ref: object) -> object:
        future = original(self, ref)  # type: ignore[arg-type]
        if future is not None:
            submitted.append(ref.display)  # type: ignore[attr-defined]
        return future

    monkeypatch.setattr(scan_module._Scanner, "_submit", spy)
    serial = scan_path(bundle, jobs=1)
    assert submitted == []
    parallel = scan_path(bundle, jobs=2)
    assert len(submitted) == 13  # the 13 on disk (the stored nested wheel too) went to workers...
    assert f"{bundle}!i.zip!n.so" not in submitted  # ...the in-memory nested one could not
    assert parallel == serial


def test_one_large_member_is_parsed_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A small wheel with one large extension: forking a worker only adds latency, so none is started.
    monkeypatch.setattr(scan_module, "PARALLEL_MIN_SIZE", 1)
    whl = make_wheel(tmp_path, "one", "1.0", "py3-none-linux_x86_64", {"pkg/_ext.so": ELF_STUB})
    submitted: list[object] = []
    monkeypatch.setattr(scan_module._Scanner, "_submit", lambda self, ref: submitted.append(ref))
    facts = scan_path(whl, jobs=2)
    assert submitted == []
    assert [n.member for n in facts.native_files] == ["pkg/_ext.so"]


# -- end to end on the committed ELF/Mach-O/PE fixtures -----------------------------------------------

TESTDATA = Path(__file__).resolve().parent.parent / "testdata"


def _manifest() -> list[dict[str, object]]:
    import json

    path = TESTDATA / "MANIFEST.json"
    if not path.is_file():  # pragma: no cover - the fixtures are committed with the repository
        pytest.skip("testdata/MANIFEST.json is missing")
    return json.loads(path.read_text())["files"]  # type: ignore[no-any-return]


def _fixture_members(compression: int) -> list[M]:
    return [M(str(f["path"]).removeprefix("elf/"), (TESTDATA / str(f["path"])).read_bytes(), compression=compression)
            for f in _manifest()]


def _check_against_manifest(facts: ArtifactFacts) -> None:
    by_member = {nf.member: nf for nf in facts.native_files}
    for entry in _manifest():
        member = str(entry["path"]).removeprefix("elf/")
        expect: dict[str, typing.Any] = entry["expect"]  # type: ignore[assignment]
        nf = by_member.pop(member)
        assert nf.error is None, (member, nf.error)
        assert nf.size == entry["size"]
        if expect["format"] == "pe":
            assert nf.kind == "pe" and nf.pe is not None
            assert list(nf.pe.imports) == expect["imports"]
            continue
        if expect["format"].startswith("macho"):
            assert nf.kind == "macho" and nf.macho is not None
            assert nf.macho.fat == (expect["format"] == "macho-fat")
            continue
        elf = nf.elf
        assert nf.kind == "elf" and elf is not None, member
        assert (elf.machine, elf.elf_class, elf.byte_order) == (expect["e_machine"], expect["class"], expect["endian"])
        assert list(elf.needed) == expect["needed"], member
        assert elf.soname == expect["soname"]
        assert elf.interpreter == expect["interp"]
        assert elf.max_glibc == expect["max_glibc"], member
        assert elf.exec_stack == expect["exec_stack"], member
        assert elf.x86_isa_level == expect["x86_isa_level"], member
        assert {(v.library, v.version, v.weak) for v in elf.version_needs} == {
            (v["file"], v["version"], v["weak"]) for v in expect["verneed"]}, member
    assert by_member == {}  # nothing native beyond the fixtures


@pytest.mark.parametrize("compression", [STORED, 8], ids=["stored", "deflated"])
def test_fixture_facts_come_out_of_a_wheel(tmp_path: Path, compression: int) -> None:
    whl = write_zip(tmp_path / "fixtures-1.0-py3-none-any.whl", _fixture_members(compression))
    facts = scan_path(whl, jobs=1)
    assert facts.problems == ()
    _check_against_manifest(facts)


def test_fixture_facts_are_the_same_from_a_folder_a_zip_and_workers(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    _manifest()
    folder = scan_path(TESTDATA / "elf", jobs=1)
    _check_against_manifest(folder)
    monkeypatch.setattr(scan_module, "PARALLEL_MIN_SIZE", 1)
    zipped = scan_path(write_zip(tmp_path / "f.zip", _fixture_members(8)), jobs=2)
    assert [(nf.member, nf.elf, nf.macho, nf.pe) for nf in zipped.native_files] == [
        (nf.member, nf.elf, nf.macho, nf.pe) for nf in folder.native_files]


def test_oversized_record_is_reported_and_skipped(tmp_path: Path) -> None:
    members = [M("pkg-1.0.dist-info/RECORD", "pkg/a.so,,\n" * 200), M("pkg/a.so", ELF_STUB)]
    path = write_zip(tmp_path / "r.zip", members)
    facts = scan_path(path, jobs=1, max_metadata_size=100)
    assert _problems(facts) == [(f"{path}!pkg-1.0.dist-info/RECORD", "too-large")]
    assert facts.distributions[0].record is None
    assert facts.native_files[0].distribution is None


@pytest.mark.parametrize("compression", [STORED, 8], ids=["stored", "deflated"])
def test_pyelftools_engine_reads_the_same_members(tmp_path: Path, compression: int) -> None:
    whl = write_zip(tmp_path / "fixtures.zip", _fixture_members(compression))
    ours = scan_path(whl, jobs=1)
    theirs = scan_path(whl, jobs=1, engine="pyelftools")
    assert [nf.member for nf in theirs.native_files] == [nf.member for nf in ours.native_files]
    for a, b in zip(ours.native_files, theirs.native_files, strict=True):
        if a.elf is None:
            continue
        assert b.error is None, (b.member, b.error)
        assert b.elf is not None
        assert (b.elf.needed, b.elf.soname, b.elf.max_glibc, b.elf.exec_stack) == (
            a.elf.needed, a.elf.soname, a.elf.max_glibc, a.elf.exec_stack), a.member


def test_unknown_engine_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown ELF engine"):
        scan_path(tmp_path, engine="objdump")


ARCH = Path(__file__).resolve().parent.parent / "testdata" / "elf" / "arch"


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The heads the scanner's parser is called with, in order."""
    calls: list[bytes] = []
    real = scan_module._parse

    def counting(head: bytes, *args: typing.Any, **kwargs: typing.Any) -> typing.Any:
        calls.append(head)
        return real(head, *args, **kwargs)

    monkeypatch.setattr(scan_module, "_parse", counting)
    return calls


def test_identical_small_members_are_read_once_and_each_keeps_its_own_problems(
    tmp_path: Path, parsed: list[bytes]
) -> None:
    """Fuzzing tier: 20,000 copies of one 328-byte library parsed 20,000 times. A member of at most 64 KiB is
    read once per distinct content; a copy with a bad CRC is still reported."""
    tiny = (ARCH / "x86_64-musl.so").read_bytes()
    assert len(tiny) <= scan_module._SMALL_MEMBER
    other = (ARCH / "aarch64-musl.so").read_bytes()
    data = make_zip([M(f"lib/l{i}.so", tiny) for i in range(50)] + [M("lib/bad.so", tiny), M("lib/arm.so", other)])
    data = patch_member(data, "lib/bad.so", crc=0xDEAD)
    path = tmp_path / "many.zip"
    path.write_bytes(data)
    facts = scan_path(path, jobs=1)
    assert sorted(parsed) == sorted([tiny, other])
    by_member = {nf.member: nf for nf in facts.native_files}
    assert len(by_member) == 52
    assert by_member["lib/l0.so"].elf == by_member["lib/l49.so"].elf == by_member["lib/bad.so"].elf
    assert by_member["lib/l0.so"].elf is not None and by_member["lib/l0.so"].elf.libc == "musl"
    assert by_member["lib/arm.so"].elf is not None and by_member["lib/arm.so"].elf.arch == "aarch64"
    assert _problems(facts) == [(f"{path}!lib/bad.so", "crc-mismatch")]
    assert scan_path(path, jobs=1) == facts


def test_the_memo_of_small_members_stays_within_its_byte_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parsed: list[bytes]
) -> None:
    first, second = (ARCH / "x86_64-musl.so").read_bytes(), (ARCH / "aarch64-musl.so").read_bytes()
    path = write_zip(tmp_path / "two.zip", [M(f"a{i}.so", first) for i in range(3)]
                     + [M(f"b{i}.so", second) for i in range(3)])
    monkeypatch.setattr(scan_module, "_SMALL_KEPT_BYTES", len(first))  # room for the first content only
    facts = scan_path(path, jobs=1)
    assert parsed.count(first) == 1 and parsed.count(second) == 3
    assert len({id(nf.elf) for nf in facts.native_files}) == 4  # three copies of the second are read apart
