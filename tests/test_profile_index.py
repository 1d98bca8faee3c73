"""The generated index of the built-in profiles (``profiles/_index.py``) says what their TOML files say."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from abigate.profiles import LazyProfiles, builtin_ids, builtin_summaries, list_profiles

ROOT = Path(__file__).parents[1]


def test_regenerating_the_index_gives_the_committed_bytes() -> None:
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_profile_index.py"), "--check"],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


def test_every_summary_holds_the_resolved_profiles_facts() -> None:
    summaries = builtin_summaries()
    full = list_profiles()
    assert [s.id for s in summaries] == [p.id for p in full] == list(builtin_ids())
    for s, p in zip(summaries, full, strict=True):
        assert (s.title, s.kind, s.arch, s.libc, s.libc_version, s.origin) == \
            (p.title, p.kind, p.arch, p.libc, p.libc_version, p.origin), p.id
        assert [py.version_text for py in s.pythons] == [py.version_text for py in p.pythons], p.id
        assert list(s.libraries) == list(p.libraries), p.id
        for soname, lib in p.libraries.items():
            got = s.libraries[soname]
            assert (got.versions, got.exact, got.files) == (lib.versions, lib.exact, lib.files), (p.id, soname)
        # file names (libgomp.so.1.0.0) find the same library in both
        for lib in p.libraries.values():
            for name in lib.files:
                found, want = s.library(name), p.library(name)
                assert (found and found.soname) == (want and want.soname), (p.id, name)


def test_a_stale_index_is_detected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check compares bytes: a profile changed without regenerating the index fails it."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import gen_profile_index  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    stale = tmp_path / "_index.py"
    text = (ROOT / "src" / "abigate" / "profiles" / "_index.py").read_text(encoding="utf-8")
    stale.write_text(text.replace("'GLIBC_2.34', ", "", 1), encoding="utf-8")
    monkeypatch.setattr(gen_profile_index, "OUT", str(stale))
    assert gen_profile_index.main(["--check"]) == 1
    monkeypatch.setattr(gen_profile_index, "OUT", str(ROOT / "src" / "abigate" / "profiles" / "_index.py"))
    assert gen_profile_index.main(["--check"]) == 0


def test_lazy_profiles_read_the_index_only_when_used() -> None:
    lazy = LazyProfiles()
    assert lazy._items is None
    assert len(lazy) == len(builtin_ids()) and lazy[0] is builtin_summaries()[0]
