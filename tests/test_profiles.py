"""Profile format: loading, extends, derivation, validation messages, rendering, schema. Host-independent."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from abigate import glibc_versions as gv
from abigate.cli import main
from abigate.errors import ProfileError
from abigate.profiles import load_profile, parse_profile_text, profile_to_mapping, profile_to_toml
from abigate.symver import max_node

GOLDEN = Path(__file__).parent / "golden" / "profile"
SCHEMA = Path(__file__).parents[1] / "src" / "abigate" / "resources" / "profile.schema.json"
UPDATE = os.environ.get("ABIGATE_UPDATE_GOLDEN") == "1"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


MINIMAL = """\
id = "mini"
kind = "os"
arch = "aarch64"
[libc]
family = "glibc"
version = "2.28"
[libraries."libc.so.6"]
derive = "glibc"
[libraries."ld-linux-aarch64.so.1"]
derive = "glibc"
"""


def test_derived_glibc_nodes_follow_the_architecture() -> None:
    p = parse_profile_text(MINIMAL)
    lib = p.library("libc.so.6")
    assert lib is not None and not lib.exact and lib.version == "2.28"
    # aarch64's first node is GLIBC_2.17; GLIBC_2.19–2.21 never existed there.
    assert min(lib.versions, key=lambda n: tuple(map(int, n[6:].split(".")))) == "GLIBC_2.17"
    assert "GLIBC_2.16" not in lib.versions and "GLIBC_2.19" not in lib.versions
    assert max_node(lib.versions, "GLIBC") == "GLIBC_2.28"
    x86 = gv.glibc_nodes("x86_64", "libc.so.6", (2, 28))
    assert x86 is not None and {"GLIBC_2.2.5", "GLIBC_2.16"} <= x86


@pytest.mark.parametrize(("release", "top"), [((2, 31), "GLIBC_2.30"), ((2, 36), "GLIBC_2.36"), ((2, 41), "GLIBC_2.41"),
                                              ((2, 37), "GLIBC_2.36")])
def test_glibc_release_top_node(release: tuple[int, int], top: str) -> None:
    # runtimes.md §1.1: Debian 11's glibc 2.31 tops out at GLIBC_2.30; 2.37 added no libc node (loader.md §6).
    nodes = gv.glibc_nodes("x86_64", "libc.so.6", release)
    assert nodes is not None and max_node(nodes, "GLIBC") == top
    assert ("GLIBC_ABI_DT_RELR" in nodes) == (release >= (2, 36))


def test_gcc_tables() -> None:
    n12 = gv.gcc_libstdcxx_nodes((12, 2), "x86_64")
    assert n12 is not None and max_node(n12, "GLIBCXX") == "GLIBCXX_3.4.30" and max_node(n12, "CXXABI") == "CXXABI_1.3.13"
    n16 = gv.gcc_libstdcxx_nodes((16, 2), "x86_64")
    assert n16 is not None and "CXXABI_1.3.16" not in n16 and "CXXABI_1.3.17" in n16
    assert max_node(gv.gcc_libgcc_nodes((10, 2), "x86_64"), "GCC") == "GCC_7.0.0"
    assert max_node(gv.gcc_libgcc_nodes((14, 2), "x86_64"), "GCC") == "GCC_14.0.0"
    assert gv.gcc_libstdcxx_nodes((4, 4)) is None


def test_extends_python_and_provenance(tmp_path: Path) -> None:
    child = tmp_path / "child.toml"
    child.write_text('id = "child"\nkind = "runtime"\nextends = "debian-12"\nlibrary_paths = ["/opt/x"]\n'
                     'remove_libraries = ["libffi.so.8"]\n[[python]]\nversion = "3.13t"\n'
                     '[libraries."libfoo.so.1"]\nversions = ["FOO_1.0"]\nexact = true\nconfidence = "verified"\n'
                     'sources = ["mine"]\n[sources]\nmine = { url = "https://example.invalid/foo" }\n')
    p = load_profile(str(child))
    assert p.extends == ("debian-12",) and p.libc_version == (2, 36) and p.library_paths == ("/opt/x",)
    assert p.library("libffi.so.8") is None and p.library("libc.so.6") is not None
    foo = p.library("libfoo.so.1")
    assert foo is not None and foo.exact and foo.versions == {"FOO_1.0"}
    assert p.provenance["libraries.libfoo.so.1"].sources == ("mine",)
    py = p.python
    assert py is not None and py.free_threaded and py.extension_suffixes[0] == ".cpython-313t-x86_64-linux-gnu.so"
    assert py.tags[0] == "cp313-cp313t-manylinux_2_36_x86_64"


def test_python_override_is_computed_for_the_target_not_the_host() -> None:
    p = load_profile("alpine-3.22-arm64", python="3.12")
    assert p.python is not None
    assert p.python.extension_suffixes[0] == ".cpython-312-aarch64-linux-musl.so"
    assert p.python.tags[0] == "cp312-cp312-musllinux_1_2_aarch64"
    assert all("x86_64" not in t for t in p.python.tags)
    # A Python the profile already lists is kept (its captured suffixes too) and moved to the front.
    g = load_profile("google-22", python="3.10")
    assert g.python is not None and g.python.version == (3, 10) and len(g.pythons) == 4


def test_aliases() -> None:
    assert load_profile("aws-lambda-python3.12").id == "aws-lambda-python3.12-x86_64"
    assert load_profile("debian-12-aarch64").id == "debian-12-arm64"
    assert load_profile("manylinux_2_17_aarch64").id == "manylinux2014_aarch64"
    with pytest.raises(ProfileError, match="did you mean"):
        load_profile("debian-21")


def test_every_problem_is_reported_with_line_and_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "bad"\nkind = "runtim"\narhc = "x86_64"\npage_size = 3000\n\n[libc]\nfamily = "glibc"\n'
                   'version = "2.x"\n\n[libraries."libc.so.6"]\nderive = "glibc"\nversions = ["GLIBC_2.2.5"]\n'
                   'confidense = "inferred"\n\n[[python]]\nversion = "3"\n\n[limits]\nmax_unzipped_bytes = -1\n')
    assert main(["profile", "validate", str(bad)]) == 2
    err = capsys.readouterr().err.replace(str(tmp_path), "TMP")
    check_golden("validate-bad.txt", err)
    assert "arhc (line 3): unknown field; did you mean 'arch'?" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(("text", "message"), [
    ('id = "x"\nkind = [', "invalid TOML"),
    ('id = "x"\nkind = "os"\nextends = "no-such-profile"\n', "unknown profile 'no-such-profile'"),
    ('id = "x"\nkind = "os"\narch = "x86_64"\n', "libc: missing required field"),
    ('id = "x"\nkind = "os"\nextends = "alpine-3.22"\n[libraries."libfoo.so"]\nderive = "glibc"\n',
     "'glibc' needs a glibc profile"),
    ('id = "x"\nkind = "os"\nextends = "debian-12"\n[libraries."libfoo.so.1"]\nderive = "glibc"\n',
     "libfoo.so.1 is not a glibc library on x86_64"),
    ('id = "x"\nkind = "os"\nextends = "debian-12"\n[provenance]\nlibc = { confidence = "verified", sources = ["DEBX"] }\n',
     "provenance.libc.sources (line 5): cites unknown source 'DEBX'; did you mean 'DEB'?"),
    ('schema = 9\n', "newer than this abigate reads"),
])
def test_bad_profiles_give_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str,
                                          message: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text(text)
    assert main(["profile", "validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_extends_cycle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.toml").write_text('id = "a"\nextends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('id = "b"\nextends = "a.toml"\n')
    assert main(["profile", "validate", str(tmp_path / "a.toml")]) == 2
    err = capsys.readouterr().err
    assert "cycle in extends" in err and err.count("\n") == 1


def test_show_toml_round_trips() -> None:
    for pid in ("aws-lambda-python3.12-arm64", "manylinux2014_aarch64", "alpine-3.21", "debian-13"):
        original = load_profile(pid)
        again = parse_profile_text(profile_to_toml(original), "shown")
        a, b = profile_to_mapping(original), profile_to_mapping(again)
        a.pop("extends", None)
        assert a == b


def test_json_schema_accepts_builtins_and_rejects_unknown_keys() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib

    from abigate.profiles._resolve import _builtin_text, builtin_ids

    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    for pid in builtin_ids():
        text = _builtin_text(pid)
        assert text is not None
        errors = list(validator.iter_errors(tomllib.loads(text)))
        assert not errors, (pid, errors[0].message)
    assert list(validator.iter_errors({"id": "x", "arhc": "x86_64"}))
    assert list(validator.iter_errors({"libraries": {"libc.so.6": {"derive": "glibc", "versions": []}}}))


def test_validate_reports_an_unknown_extends_with_the_other_problems(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """One run lists the misspelt parent, the missing parent file and the bad field, not one after another."""
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "x"\nkind = "runtim"\nextends = ["debain-12", "base.toml", "debian-11"]\n')
    assert main(["profile", "validate", str(bad)]) == 2
    err = capsys.readouterr().err.replace(str(tmp_path), "TMP")
    assert err.startswith("abigate: error: TMP/bad.toml: invalid profile (3 problems)\n"), err
    assert "  kind (line 2): must be one of" in err
    assert "  extends (line 3): 'debain-12': unknown profile 'debain-12'; did you mean debian-12" in err
    assert "  extends (line 3): 'base.toml': profile file not found (TMP/base.toml)\n" in err
    assert "debian-11'" not in err  # a known parent is no problem


def test_validate_reports_a_broken_parent_file_with_the_other_problems(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "base.toml").write_text('id = "b"\nkind = "os"\narhc = "x86_64"\n')
    (tmp_path / "bad.toml").write_text('id = "x"\nkind = "runtim"\nextends = "base.toml"\n')
    assert main(["profile", "validate", str(tmp_path / "bad.toml")]) == 2
    err = capsys.readouterr().err.replace(str(tmp_path), "TMP")
    assert "invalid profile (2 problems)" in err and "  kind (line 2): must be one of" in err
    assert ("  extends (line 3): 'base.toml': TMP/base.toml: invalid profile (1 problem); "
            "`abigate profile validate TMP/base.toml` lists each\n") in err


def test_every_unreadable_parent_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "x"\nkind = "runtime"\nextends = ["debain-12", "base.toml"]\n')
    assert main(["profile", "validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "invalid profile (2 problems)" in err
    assert "extends 'debain-12': unknown profile" in err and "extends 'base.toml': " in err
