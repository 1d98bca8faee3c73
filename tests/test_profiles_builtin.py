"""Built-in profiles: all validate, every fact cites a source, and a sample matches runtimes.md."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from abigate.profiles import builtin_ids, list_profiles, load_profile
from abigate.symver import max_node, parse_version

ROOT = Path(__file__).parents[1]


def test_all_builtins_validate_and_ids_match_files() -> None:
    profiles = list_profiles()
    assert len(profiles) == len(builtin_ids()) >= 60
    assert [p.id for p in profiles] == list(builtin_ids())


@pytest.mark.parametrize("pid", builtin_ids())
def test_every_fact_cites_its_source(pid: str) -> None:
    p = load_profile(pid)
    cited = {s.id for s in p.sources}
    for key in ("arch", "libc"):
        assert key in p.provenance, f"{pid}: {key} has no provenance"
    for soname in p.libraries:
        assert f"libraries.{soname}" in p.provenance, f"{pid}: {soname} has no provenance"
    for py in p.pythons:
        assert f"python.{py.version_text}" in p.provenance
    for key, prov in p.provenance.items():
        if prov.confidence in ("verified", "documented"):
            assert prov.sources, f"{pid}: {key} is {prov.confidence} but cites nothing"
        assert set(prov.sources) <= cited
        if prov.confidence in ("inferred", "unknown"):
            assert prov.note or prov.sources, f"{pid}: {key} is {prov.confidence} without a note"
    for s in p.sources:
        assert s.url.startswith("https://")


def test_generated_files_are_up_to_date() -> None:
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_profiles.py"), "--check"],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


def _top(pid: str, soname: str, prefix: str) -> str | None:
    lib = load_profile(pid).library(soname)
    assert lib is not None, f"{pid} lacks {soname}"
    return max_node(lib.versions, prefix)


# Reference facts from shared/reference/runtimes.md (section in the comment).
@pytest.mark.parametrize(("pid", "soname", "prefix", "top"), [
    ("aws-lambda-python3.11-x86_64", "libc.so.6", "GLIBC", "GLIBC_2.26"),          # §2
    ("aws-lambda-python3.12-arm64", "libc.so.6", "GLIBC", "GLIBC_2.34"),           # §2
    ("aws-lambda-python3.12-x86_64", "libstdc++.so.6", "GLIBCXX", "GLIBCXX_3.4.29"),  # §2 (I)
    ("azure-functions-python3.11", "libstdc++.so.6", "GLIBCXX", "GLIBCXX_3.4.28"),  # §3
    ("azure-functions-python3.12", "libstdc++.so.6", "CXXABI", "CXXABI_1.3.13"),    # §3
    ("debian-11", "libc.so.6", "GLIBC", "GLIBC_2.30"),                              # §1.1
    ("debian-13", "libstdc++.so.6", "GLIBCXX", "GLIBCXX_3.4.33"),                   # §6
    ("debian-13", "libgcc_s.so.1", "GCC", "GCC_14.0.0"),                            # §6/§8
    ("google-24", "libstdc++.so.6", "GLIBCXX", "GLIBCXX_3.4.33"),                   # §4
    ("manylinux2014_aarch64", "libc.so.6", "GLIBC", "GLIBC_2.18"),                  # §7
    ("manylinux2014_x86_64", "libstdc++.so.6", "GLIBCXX", "GLIBCXX_3.4.19"),        # §7
    ("manylinux_2_28_x86_64", "libgcc_s.so.1", "GCC", "GCC_7.0.0"),                 # §7
    ("manylinux_2_34_aarch64", "libgcc_s.so.1", "GCC", "GCC_11.0"),                 # §7
    ("manylinux_2_39_x86_64", "libz.so.1", "ZLIB", "ZLIB_1.2.12"),                  # §7
])
def test_version_ceilings(pid: str, soname: str, prefix: str, top: str) -> None:
    assert _top(pid, soname, prefix) == top


def test_lambda_facts() -> None:
    for py in ("3.9", "3.10", "3.11", "3.12", "3.13", "3.14"):
        for arch, machine in (("x86_64", "x86_64"), ("arm64", "aarch64")):
            p = load_profile(f"aws-lambda-python{py}-{arch}")
            assert p.kind == "runtime" and p.arch == machine and p.page_size == 4096
            assert p.limits.max_unzipped_bytes == 262144000                    # §2 (A4)
            assert p.library_paths[:3] == ("/var/lang/lib", "/lib64", "/usr/lib64")  # §1.6
            assert p.libc_version == ((2, 26) if py in ("3.9", "3.10", "3.11") else (2, 34))
            assert p.python is not None and p.python.version == parse_version(py)
    arm = load_profile("aws-lambda-python3.13-arm64")
    assert arm.provenance["page_size"].confidence == "inferred"
    assert load_profile("aws-lambda-python3.12-x86_64").library("libssl.so.3") is not None
    assert load_profile("aws-lambda-python3.11-x86_64").library("libffi.so.6") is not None


def test_os_and_policy_facts() -> None:
    assert load_profile("debian-13").refuses_exec_stack                              # loader.md §3
    assert not load_profile("debian-12").refuses_exec_stack
    assert load_profile("rhel-9").x86_isa_level == 2                                 # §6, §1.5
    assert load_profile("azure-functions-python3.10").library("libssl.so.1.1") is not None
    musl = load_profile("musllinux_1_2_x86_64")
    assert musl.libc == "musl" and musl.policy_tag == "musllinux_1_2_x86_64"
    assert set(musl.libraries) == {"libc.so", "ld-musl-x86_64.so.1", "libc.musl-x86_64.so.1", "libz.so.1"}
    m2014 = load_profile("manylinux2014_x86_64")
    # §7: 22 whitelisted libraries + libexpat.so.1 (2_12/2_17), plus the dynamic loader every target has.
    assert m2014.policy_tag == "manylinux_2_17_x86_64" and len(m2014.libraries) == 24
    assert "ld-linux-x86-64.so.2" in m2014.libraries
    assert "libssl.so.3" not in m2014.libraries                                     # §7: never whitelisted
    assert load_profile("heroku-24").limits.max_zipped_bytes == 524288000
    assert [py.version_text for py in load_profile("google-22").pythons] == ["3.13", "3.12", "3.11", "3.10"]


def test_policy_family_is_monotonic() -> None:
    """Each newer manylinux policy allows at least what the older one does (like auditwheel's check)."""
    for arch in ("x86_64", "aarch64"):
        order = [f"manylinux2014_{arch}"] + [f"manylinux_2_{m}_{arch}" for m in (28, 31, 34, 35, 39)]
        for older, newer in zip(order, order[1:]):
            a, b = load_profile(older), load_profile(newer)
            assert a.libc_version < b.libc_version
            for soname, lib in a.libraries.items():
                assert soname in b.libraries
                for prefix in ("GLIBC", "GLIBCXX", "CXXABI", "GCC", "ZLIB"):
                    top_a, top_b = max_node(lib.versions, prefix), max_node(b.libraries[soname].versions, prefix)
                    if top_a is not None:
                        assert top_b is not None
                        assert parse_version(top_a.split("_")[-1]) <= parse_version(top_b.split("_")[-1])
