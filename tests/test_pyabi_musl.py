"""Extension suffixes on musl targets: CPython detects musl in its platform triplet only from 3.11.

Real evidence: numpy 2.0.2, lxml 6.1.3 and markupsafe 3.0.3 ship cp39/cp310 musllinux wheels whose modules
end in ``-x86_64-linux-gnu.so``, built in the musllinux images and imported there; the real-world tier
reported ABG301 on all of them before this was modelled.
"""

from __future__ import annotations

import pytest

from abigate.evaluate import evaluate
from abigate.pyabi import multiarch
from abigate.profiles import load_profile
from abigate.rules.testing import artifact, elf, musl_profile, native


@pytest.mark.parametrize(
    ("version", "expected"),
    [((3, 9), "x86_64-linux-gnu"), ((3, 10), "x86_64-linux-gnu"), ((3, 11), "x86_64-linux-musl"),
     ((3, 13), "x86_64-linux-musl"), (None, "x86_64-linux-musl")],
)
def test_musl_triplet_by_python_version(version: tuple[int, int] | None, expected: str) -> None:
    assert multiarch("x86_64", "musl", version) == expected
    # glibc is never affected.
    assert multiarch("x86_64", "glibc", version) == "x86_64-linux-gnu"


def _abg301(python: tuple[int, int], suffix_platform: str) -> list[str]:
    member = f"numpy/_core/_umath.cpython-{python[0]}{python[1]}-{suffix_platform}.so"
    facts = artifact("w.whl", [native(member, elf(libc="musl", python_init_exports=("PyInit__umath",)))])
    return [f.code for f in evaluate(facts, musl_profile(python=python)) if f.code == "ABG301"]


def test_a_cp310_musllinux_module_named_linux_gnu_is_importable() -> None:
    assert _abg301((3, 10), "x86_64-linux-gnu") == []
    assert _abg301((3, 10), "x86_64-linux-musl") == ["ABG301"]


def test_from_3_11_musl_modules_must_say_linux_musl() -> None:
    assert _abg301((3, 12), "x86_64-linux-musl") == []
    assert _abg301((3, 12), "x86_64-linux-gnu") == ["ABG301"]


def test_policy_profile_with_python_3_10_computes_the_gnu_suffix() -> None:
    prof = load_profile("musllinux_1_2_x86_64", python="3.10")
    assert prof.python is not None
    assert ".cpython-310-x86_64-linux-gnu.so" in prof.python.extension_suffixes
    assert not any("musl" in s for s in prof.python.extension_suffixes)
