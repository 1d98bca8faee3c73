"""Waiver paths are path-aware globs: ``*`` stays in one segment, ``**`` spans any depth (issue 12)."""

from __future__ import annotations

import fnmatch
import warnings

import pytest

from abigate._records import replace
from abigate.config import parse_config
from abigate.errors import ConfigError
from abigate.evaluate import Waiver
from abigate.findings import Finding
from abigate.pathglob import compile_glob, glob_matches
from abigate.rules import Severity

DEEP = "numpy/_core/_multiarray_umath.cpython-312-x86_64-linux-gnu.so"
TOP = "numpy/fft.cpython-312-x86_64-linux-gnu.so"


@pytest.mark.parametrize(("pattern", "path", "expected"), [
    # the issue: a star stops at the slash
    ("numpy/*", TOP, True),
    ("numpy/*", DEEP, False),
    ("numpy/**", DEEP, True),
    ("numpy/**", TOP, True),
    ("numpy/**", "numpyx/a.so", False),
    ("**/_multiarray_umath.*.so", DEEP, True),
    ("**/fft.*.so", TOP, True),
    ("**/fft.*.so", "fft.cpython-312.so", True),  # ** may be no segment at all
    ("numpy/**/*.so", TOP, True),
    ("numpy/**/*.so", DEEP, True),
    ("numpy/**/x.so", "numpy/a/b/c/x.so", True),
    ("*/_x.*.so", "pkg/_x.cpython-312-x86_64-linux-gnu.so", True),
    ("*/_x.*.so", "pkg/sub/_x.cpython-312-x86_64-linux-gnu.so", False),
    # ? and [...] are one character, never a separator
    ("lib?.so", "libz.so", True),
    ("a?b/x.so", "a/b/x.so", False),
    ("lib[a-c].so", "libb.so", True),
    ("lib[!a-c].so", "libb.so", False),
    ("lib[!a-c].so", "libz.so", True),
    ("a[/]b/x", "a/b/x", False),
    ("a[!x]b/x", "a/b/x", False),
    ("lib[.so", "lib[.so", True),  # an unclosed bracket is literal
    # no separator in the pattern: the file name, at any depth
    ("*", DEEP, True),
    ("*.so", DEEP, True),
    ("libfoo.so*", "torch/lib/libfoo.so.1", True),
    ("libfoo.so*", "torch/lib/libbar.so.1", False),
    # "!" separates an archive from its members
    ("*.whl!numpy/*", "numpy-2.0-cp312.whl!" + TOP, True),
    ("*.whl!numpy/*", "numpy-2.0-cp312.whl!" + DEEP, False),
    ("dist/*", "dist/numpy-2.0-cp312.whl!" + TOP, False),
    ("dist/**", "dist/numpy-2.0-cp312.whl!" + DEEP, True),
    ("**", DEEP, True),
])
def test_glob(pattern: str, path: str, expected: bool) -> None:
    assert glob_matches(pattern, path) is expected


def test_fnmatch_crossed_the_slash() -> None:
    """What the old matcher did: the reason for this module."""
    assert fnmatch.fnmatchcase(DEEP, "numpy/*")
    assert not glob_matches("numpy/*", DEEP)


@pytest.mark.parametrize("pattern", ["numpy**", "**.so", "a/**b", ""])
def test_bad_double_star_is_an_error(pattern: str) -> None:
    with pytest.raises(ValueError, match="segment|empty"):
        compile_glob(pattern)


def test_odd_classes_compile_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for pattern in ("[[]x", "[a&&b]", "[]]", "[!]]", "[^a]", "[\\]"):
            compile_glob(pattern)


def _finding(member: str) -> Finding:
    return Finding(code="ABG201", slug="glibc-too-old", severity=Severity.ERROR, message="m",
                   artifact="dist/numpy.whl", path=f"dist/numpy.whl!{member}", member=member,
                   profile="debian-12", hint="h")


def test_a_waiver_for_numpy_star_leaves_numpy_core_alone() -> None:
    w = Waiver(code="ABG201", path="numpy/*", reason="r")
    assert w.matches(_finding(TOP))
    assert not w.matches(_finding(DEEP))
    assert Waiver(code="ABG201", path="numpy/**", reason="r").matches(_finding(DEEP))
    assert Waiver(code="ABG201", reason="no path: every file").matches(_finding(DEEP))


def test_config_rejects_a_double_star_inside_a_name() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"waivers": [{"code": "ABG201", "path": "numpy**", "reason": "r"}]})
    problems = info.value.problems  # type: ignore[attr-defined]
    assert problems == (("waivers[0]: path 'numpy**': '**' must be a whole path segment, as in 'numpy/**' or "
                         "'**/libfoo.so' (use '*' within a name)"),)


def test_a_waiver_for_a_short_profile_name_applies_to_that_profile() -> None:
    """-p accepts aws-lambda-python3.11 and findings carry ...-x86_64: the waiver must say the same."""
    (waiver,) = parse_config({"waivers": [{"code": "ABG201", "reason": "r",
                                           "profile": "aws-lambda-python3.11"}]}).waivers
    assert waiver.matches(replace(_finding(TOP), profile="aws-lambda-python3.11-x86_64"))
    (other,) = parse_config({"waivers": [{"code": "ABG201", "reason": "r", "profile": "my-own"}]}).waivers
    assert other.profile == "my-own"
