"""``WHEEL``, ``METADATA`` and ``RECORD`` read as packaging reads them (issue 7, item 3).

maturin (1.8 and earlier) writes a *compressed tag set* on one line of ``WHEEL``:
``Tag: cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64`` (clarabel 0.11.1 and polars-runtime-32 1.44.2
on the local package index still do). A deploy zip holding such a dist-info must be judged on the expanded set
of tags, as pip would judge the wheel it came from. Everything here is built at test time; the native file is
the committed CPython 3.11 extension from ``testdata/elf/python``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from abigate import archive
from abigate.cli import main
from abigate.scan import scan_path
from conftest import M, make_wheel, write_zip

ROOT = Path(__file__).resolve().parents[1]
GOOD_311 = (ROOT / "testdata" / "elf" / "python" / "good.cpython-311-x86_64-linux-gnu.so").read_bytes()
GOOD_ABI3 = (ROOT / "testdata" / "elf" / "python" / "good.abi3.so").read_bytes()
LAMBDA_311 = "aws-lambda-python3.11"
COMPRESSED_311 = "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64"


def _wheel_text(*tags: str, generator: str = "maturin (1.8.7)") -> str:
    return ("Wheel-Version: 1.0\n" f"Generator: {generator}\n" "Root-Is-Purelib: false\n"
            + "".join(f"Tag: {t}\n" for t in tags))


SO_311 = ("good.cpython-311-x86_64-linux-gnu.so", GOOD_311)
METADATA = "Metadata-Version: 2.4\nName: Good\nVersion: 1.0\n\nLong text.\n"


def _layer(tmp_path: Path, wheel_text: str, *, so: tuple[str, bytes] = SO_311,
           metadata: str | None = METADATA, record: str | None = None, name: str = "layer.zip") -> Path:
    """A Lambda layer (``python/…``) holding one distribution, as ``pip install --target`` leaves it."""
    dist = "python/good-1.0.dist-info"
    members = [M(f"python/{so[0]}", so[1]), M(f"{dist}/WHEEL", wheel_text), M(f"{dist}/INSTALLER", "pip\n")]
    if metadata is not None:
        members.append(M(f"{dist}/METADATA", metadata))
    if record is None:
        record = f"{so[0]},sha256=x,{len(so[1])}\ngood-1.0.dist-info/WHEEL,,\ngood-1.0.dist-info/RECORD,,\n"
    members.append(M(f"{dist}/RECORD", record))
    return write_zip(tmp_path / name, members)


def _check_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object], str]:
    rc = main(["check", *args, "--no-config", "--format", "json"])
    out, err = capsys.readouterr()
    return rc, (json.loads(out) if out else {}), err


def _codes(doc: dict[str, object]) -> set[str]:
    arts = doc["artifacts"]
    assert isinstance(arts, list)
    return {f["code"] for a in arts for f in a["findings"] if not f["waived"]}


# -- the tag set, expanded -----------------------------------------------------------------------------------


def test_parse_wheel_metadata_expands_compressed_tag_sets() -> None:
    tags, purelib = archive.parse_wheel_metadata(_wheel_text(COMPRESSED_311))
    assert tags == ("cp311-cp311-manylinux2014_x86_64", "cp311-cp311-manylinux_2_17_x86_64")
    assert purelib is False
    # py2.py3-none-any is two tags; the same tag written twice (compressed and not) is one.
    tags, _ = archive.parse_wheel_metadata(_wheel_text("py2.py3-none-any", "py3-none-any"))
    assert tags == ("py2-none-any", "py3-none-any")


def test_parse_wheel_metadata_keeps_a_malformed_tag_verbatim_and_reads_only_the_headers() -> None:
    # A tag packaging cannot parse stays as written, so ABG302 can name it ("not a valid tag").
    text = "Wheel-Version: 1.0\nRoot-Is-Purelib: TRUE\nTag: cp311-cp311\nTag: --\n\nTag: cp311-none-any\n"
    assert archive.parse_wheel_metadata(text) == (("--", "cp311-cp311"), True)
    # Header names are case-insensitive (email headers); tags come out lower-case, as packaging spells them.
    assert archive.parse_wheel_metadata("tag: CP39-abi3-Linux_x86_64\n")[0] == ("cp39-abi3-linux_x86_64",)
    assert archive.parse_wheel_metadata("") == ((), None)
    assert archive.parse_wheel_metadata("\x00\xff garbage without a colon\n") == ((), None)


def test_a_layer_with_a_compressed_tag_set_passes_abg302_on_its_own_python(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    layer = _layer(tmp_path, _wheel_text(COMPRESSED_311))
    facts = scan_path(layer, jobs=1)
    assert facts.distributions[0].wheel_tags == ("cp311-cp311-manylinux2014_x86_64",
                                                 "cp311-cp311-manylinux_2_17_x86_64")
    rc, doc, err = _check_json(capsys, str(layer), "-p", LAMBDA_311)
    assert (rc, err) == (0, ""), doc
    assert _codes(doc) == set()


def test_a_compressed_tag_set_for_another_python_is_still_abg302(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The expansion must not make every compressed set pass: cp312 on Python 3.11 is refused, per tag.
    layer = _layer(tmp_path, _wheel_text("cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64"))
    rc, doc, _ = _check_json(capsys, str(layer), "-p", LAMBDA_311, "--select", "ABG302")
    assert rc == 1
    (finding,) = doc["artifacts"][0]["findings"]  # type: ignore[index]
    assert finding["code"] == "ABG302"
    assert finding["details"] == [
        "cp312-cp312-manylinux2014_x86_64: cp312-cp312 is not accepted by Python 3.11",
        "cp312-cp312-manylinux_2_17_x86_64: cp312-cp312 is not accepted by Python 3.11",
    ]


def test_a_compressed_abi3_set_for_a_newer_python_is_abg303_not_abg302(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    layer = _layer(tmp_path, _wheel_text("cp312-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64"),
                   so=("good.abi3.so", GOOD_ABI3))
    rc, doc, _ = _check_json(capsys, str(layer), "-p", LAMBDA_311, "--select", "ABG30")
    assert rc == 1
    assert _codes(doc) == {"ABG303"}
    # … and the same set with a minimum the target meets (clarabel's cp39-abi3) passes.
    ok = _layer(tmp_path, _wheel_text("cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64"),
                so=("good.abi3.so", GOOD_ABI3), name="ok.zip")
    rc, doc, _ = _check_json(capsys, str(ok), "-p", LAMBDA_311, "--select", "ABG30")
    assert (rc, _codes(doc)) == (0, set())


def test_a_wheel_whose_wheel_file_compresses_the_filename_tags(tmp_path: Path) -> None:
    whl = make_wheel(tmp_path, "good", "1.0", "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64",
                     {"good.cpython-311-x86_64-linux-gnu.so": GOOD_311}, wheel_tags=[COMPRESSED_311])
    wheel = scan_path(whl, jobs=1).wheel
    assert wheel is not None
    assert set(wheel.metadata_tags) == set(wheel.filename_tags) and len(wheel.filename_tags) == 2


# -- METADATA and RECORD -------------------------------------------------------------------------------------


def test_name_and_version_come_from_metadata_when_it_is_readable(tmp_path: Path) -> None:
    layer = _layer(tmp_path, _wheel_text(COMPRESSED_311),
                   metadata="Metadata-Version: 2.1\nName: Good.Pkg\nVersion: 1.0.post1\n")
    (dist,) = scan_path(layer, jobs=1).distributions
    assert (dist.name, dist.version, dist.key) == ("Good.Pkg", "1.0.post1", "Good.Pkg==1.0.post1")
    assert dist.record == ("python/good-1.0.dist-info/RECORD", "python/good-1.0.dist-info/WHEEL",
                           "python/good.cpython-311-x86_64-linux-gnu.so")
    # no METADATA, or one without Name/Version: the directory name decides, as before
    bare = _layer(tmp_path, _wheel_text(COMPRESSED_311), metadata=None, name="bare.zip")
    (dist,) = scan_path(bare, jobs=1).distributions
    assert (dist.name, dist.version) == ("good", "1.0")
    junk = _layer(tmp_path, _wheel_text(COMPRESSED_311), metadata="\x00\x01 not headers", name="junk.zip")
    (dist,) = scan_path(junk, jobs=1).distributions
    assert (dist.name, dist.version) == ("good", "1.0")


@pytest.mark.parametrize("record", [
    '"' + "x" * 200_000 + '",,\n',  # a field beyond csv's field_size_limit: csv.Error today
    "good.cpython-311-x86_64-linux-gnu.so,sha256=x,1\n\"unterminated,,\n",
])
def test_a_malformed_record_is_a_problem_not_a_crash(tmp_path: Path, record: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    layer = _layer(tmp_path, _wheel_text(COMPRESSED_311), record=record)
    facts = scan_path(layer, jobs=1)
    (dist,) = facts.distributions
    kinds = {p.kind for p in facts.problems}
    if dist.record is None:  # unreadable: said so, and files are then owned by no distribution
        assert "malformed-metadata" in kinds
    rc, _, err = _check_json(capsys, str(layer), "-p", LAMBDA_311)
    assert rc in (0, 1) and "internal error" not in err


def test_a_binary_named_like_metadata_is_still_scanned(tmp_path: Path) -> None:
    # Names decide nothing: an ELF file stored as dist-info METADATA or RECORD is a native file too.
    layer = write_zip(tmp_path / "hidden.zip", [
        M("python/x-1.0.dist-info/METADATA", GOOD_311), M("python/x-1.0.dist-info/RECORD", GOOD_311),
        M("python/x-1.0.dist-info/WHEEL", _wheel_text(COMPRESSED_311)),
    ])
    facts = scan_path(layer, jobs=1)
    assert [nf.member for nf in facts.native_files] == ["python/x-1.0.dist-info/METADATA",
                                                        "python/x-1.0.dist-info/RECORD"]
    assert facts.distributions[0].name == "x" and facts.distributions[0].record is None


@pytest.mark.parametrize(
    "text",
    [
        "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n\nbody: Name: other\n",
        "Name: demo\nName: again\nVersion: 1.0\n",  # repeated: packaging leaves it out
        "Name:   \nVersion:\n",  # empty
        "Name: d\xe9mo\nVersion: 1.0\n",  # non-ASCII
        "Name: de\n mo\nVersion: 2\n",  # a folded line
        "name: lower\nVERSION: 3\n",  # case-insensitive names
        "not a header\nName: late\n",  # the header block ends at the first non-header line
        "",
    ],
)
def test_name_and_version_are_read_as_packaging_metadata_reads_them(text: str) -> None:
    """``archive.parse_dist_metadata`` avoids importing ``packaging.metadata`` (start-up) but agrees with it."""
    from packaging.metadata import parse_email

    raw, _ = parse_email(text)
    name, version = raw.get("name"), raw.get("version")
    expected = ((name.strip() or None) if name else None, (version.strip() or None) if version else None)
    assert archive.parse_dist_metadata(text) == expected
