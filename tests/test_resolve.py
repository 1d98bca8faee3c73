"""DT_NEEDED resolution inside an artifact, glibc and musl rules (loader.md §9). Facts built in the test."""

from __future__ import annotations

import posixpath

from abigate.facts import Link
from abigate.resolve import is_importable_extension, resolve_artifact
from abigate.rules.testing import artifact, elf, glibc_profile, musl_profile, native

P = glibc_profile()
EXT = "pkg/_x.cpython-311-x86_64-linux-gnu.so"


def lib(member: str, *needed: str, **kw: object):  # type: ignore[no-untyped-def]
    return native(member, elf(needed=needed, **kw))  # type: ignore[arg-type]


def outcome(facts, requester: str, needed: str, profile=P):  # type: ignore[no-untyped-def]
    res = resolve_artifact(facts, profile).get(requester, needed)
    assert res is not None
    return res


def test_origin_rpath_finds_bundled_library() -> None:
    facts = artifact(
        "w.whl", [lib(EXT, "libfoo.so.1", rpath=("$ORIGIN/../pkg.libs",)), lib("pkg.libs/libfoo.so.1")]
    )
    res = outcome(facts, EXT, "libfoo.so.1")
    assert (res.kind, res.member, res.via, res.searched) == (
        "bundled",
        "pkg.libs/libfoo.so.1",
        "DT_RPATH",
        ("pkg.libs",),
    )


def test_origin_spellings_and_root_level_files() -> None:
    facts = artifact("w.whl", [lib("_x.so", "libfoo.so.1", runpath=("${ORIGIN}",)), lib("libfoo.so.1")])
    assert outcome(facts, "_x.so", "libfoo.so.1").member == "libfoo.so.1"


def test_rpath_is_inherited_by_what_it_loads() -> None:
    facts = artifact(
        "w.whl",
        [
            lib(EXT, "liba.so", rpath=("$ORIGIN/../pkg.libs",)),
            lib("pkg.libs/liba.so", "libb.so"),
            lib("pkg.libs/libb.so"),
        ],
    )
    res = outcome(facts, "pkg.libs/liba.so", "libb.so")
    assert (res.kind, res.via, res.chain) == ("bundled", f"DT_RPATH of {EXT}", ("pkg.libs/liba.so", EXT))


def test_runpath_is_not_inherited() -> None:
    facts = artifact(
        "w.whl",
        [
            lib(EXT, "liba.so", runpath=("$ORIGIN/../pkg.libs",)),
            lib("pkg.libs/liba.so", "libb.so"),
            lib("pkg.libs/libb.so"),
        ],
    )
    assert outcome(facts, EXT, "liba.so").kind == "bundled"
    res = outcome(facts, "pkg.libs/liba.so", "libb.so")
    assert (res.kind, res.candidates, res.runpath_of_loader) == ("unreachable", ("pkg.libs/libb.so",), EXT)


def test_runpath_of_requester_disables_its_rpath_and_the_chains() -> None:
    # glibc: with DT_RUNPATH present, DT_RPATH of the requester and of its loaders are not used.
    facts = artifact(
        "w.whl",
        [
            lib(EXT, "liba.so", rpath=("$ORIGIN/../pkg.libs",)),
            lib("pkg.libs/liba.so", "libb.so", runpath=("$ORIGIN/nowhere",), rpath=("$ORIGIN",)),
            lib("pkg.libs/libb.so"),
        ],
    )
    assert outcome(facts, "pkg.libs/liba.so", "libb.so").kind == "unreachable"


def test_a_loader_with_runpath_contributes_no_rpath() -> None:
    facts = artifact(
        "w.whl",
        [
            lib(EXT, "liba.so", rpath=("$ORIGIN/../pkg.libs",), runpath=("$ORIGIN/../pkg.libs",)),
            lib("pkg.libs/liba.so", "libb.so"),
            lib("pkg.libs/libb.so"),
        ],
    )
    assert outcome(facts, "pkg.libs/liba.so", "libb.so").kind == "unreachable"


def test_musl_inherits_runpath_too() -> None:
    profile = musl_profile()
    facts = artifact(
        "w.whl",
        [
            lib(EXT, "liba.so", runpath=("$ORIGIN/../pkg.libs",), libc="musl"),
            lib("pkg.libs/liba.so", "libb.so", libc="musl"),
            lib("pkg.libs/libb.so", libc="musl"),
        ],
    )
    assert outcome(facts, "pkg.libs/liba.so", "libb.so", profile).kind == "bundled"


def test_musl_provides_glibc_split_libraries() -> None:
    facts = artifact("w.whl", [lib(EXT, "libpthread.so.0", "libm.so.6")])
    assert outcome(facts, EXT, "libpthread.so.0", musl_profile()).kind == "system"


def test_musl_answers_its_reserved_names_itself_before_any_search() -> None:
    # pycryptodome's musllinux modules need libc.musl-x86_64.so.1; a real musl 1.2.3 loader loads them in a tree
    # without that file (the real-world tier): every libc.*, libm.*, libpthread.*… name is musl itself, even
    # when the artifact bundles a file of that name on the search path.
    no_files = musl_profile(libraries={})
    facts = artifact("w.whl", [lib(EXT, "libc.musl-x86_64.so.1", "libm.so.6", "libdl.so.2", runpath=("$ORIGIN",)),
                               lib("pkg/libm.so.6")])
    for name in ("libc.musl-x86_64.so.1", "libm.so.6", "libdl.so.2"):
        res = outcome(facts, EXT, name, no_files)
        assert (res.kind, res.via) == ("system", "musl's reserved name"), name
    # Not a prefix match on any "lib…": libcrypto is a library like any other.
    facts2 = artifact("w.whl", [lib(EXT, "libcrypto.so.3")])
    assert outcome(facts2, EXT, "libcrypto.so.3", no_files).kind == "missing"
    # glibc has no such rule: a bundled libm on the search path is used.
    assert outcome(facts, EXT, "libm.so.6").member == "pkg/libm.so.6"


def test_system_library_and_missing_one() -> None:
    facts = artifact("w.whl", [lib(EXT, "libz.so.1", "libssl.so.3")])
    assert outcome(facts, EXT, "libz.so.1").kind == "system"
    assert outcome(facts, EXT, "libssl.so.3").kind == "missing"


def test_wrong_class_candidate_is_skipped_like_glibc() -> None:
    facts = artifact(
        "w.whl", [lib(EXT, "libz.so.1", runpath=("$ORIGIN",)), native("pkg/libz.so.1", elf("i686"))]
    )
    assert outcome(facts, EXT, "libz.so.1").kind == "system"


def test_a_skipped_wrong_class_candidate_changes_the_loader_message() -> None:
    """Found by the host-loader agreement tier: with a 32-bit file of the needed name on the search path and
    nothing else, glibc says ``libfoo.so.1: wrong ELF class: ELFCLASS32``, not "cannot open shared object
    file" — ABG402 on the extension now predicts that (an aarch64 file there still gives "cannot open")."""
    from abigate.evaluate import Selection, evaluate

    def run(arch: str) -> tuple[int | None, str | None]:
        bad = native("pkg.libs/libfoo.so.1", elf(arch))
        facts = artifact("w.whl", [lib(EXT, "libfoo.so.1", rpath=("$ORIGIN/../pkg.libs",)), bad])
        found = evaluate(facts, P, Selection(select=("ABG402",)))
        assert [f.member for f in found] == [EXT]
        return outcome(facts, EXT, "libfoo.so.1").other_class, found[0].loader_message

    assert run("i686") == (32, "libfoo.so.1: wrong ELF class: ELFCLASS32")
    assert run("aarch64") == (None, "libfoo.so.1: cannot open shared object file: No such file or directory")


def test_non_elf_candidate_stops_the_search() -> None:
    facts = artifact("w.whl", [lib(EXT, "libz.so.1", runpath=("$ORIGIN",))], members=("pkg/libz.so.1",))
    res = outcome(facts, EXT, "libz.so.1")
    assert (res.kind, res.member) == ("not-elf", "pkg/libz.so.1")


def test_symlinks_are_followed() -> None:
    facts = artifact(
        "w.whl",
        [lib(EXT, "libfoo.so.1", runpath=("$ORIGIN",)), lib("pkg/libfoo.so.1.2.3")],
        links=(
            Link(
                path="w.whl!pkg/libfoo.so.1",
                member="pkg/libfoo.so.1",
                target="libfoo.so.1.2.3",
                resolved="pkg/libfoo.so.1.2.3",
            ),
        ),
    )
    res = outcome(facts, EXT, "libfoo.so.1")
    assert (res.kind, res.member) == ("bundled", "pkg/libfoo.so.1.2.3")


def test_paths_leaving_the_artifact_are_outside() -> None:
    facts = artifact(
        "w.whl",
        [lib(EXT, "libcublas.so.12", rpath=("$ORIGIN/../../nvidia/cublas/lib", "/opt/x/lib", "$LIB/x"))],
    )
    res = outcome(facts, EXT, "libcublas.so.12")
    assert res.kind == "outside"
    assert res.outside == ("$ORIGIN/../../nvidia/cublas/lib", "$LIB/x")
    # An absolute folder is the target's, not another distribution's.
    assert res.target_dirs == ("/opt/x/lib",)


def test_an_absolute_runpath_is_a_target_folder_so_the_library_is_missing() -> None:
    # gmsh's libgmsh.so: DT_RUNPATH=/builds/gmsh/lib (a leaked build path) and NEEDED libGLU.so.1. The loader
    # looks in that folder on the target, finds nothing, and fails: not a soft "outside" outcome.
    facts = artifact("w.whl", [lib("gmsh/lib/libgmsh.so", "libGLU.so.1", runpath=("/builds/gmsh/lib",))])
    res = outcome(facts, "gmsh/lib/libgmsh.so", "libGLU.so.1")
    assert (res.kind, res.outside, res.target_dirs) == ("missing", (), ("/builds/gmsh/lib",))


def test_cycles_terminate() -> None:
    facts = artifact(
        "w.whl",
        [lib("a/liba.so", "libb.so", rpath=("$ORIGIN",)), lib("a/libb.so", "liba.so", rpath=("$ORIGIN",))],
    )
    res = resolve_artifact(facts, P)
    assert res.get("a/liba.so", "libb.so").kind == "bundled"  # type: ignore[union-attr]
    assert res.get("a/libb.so", "liba.so").kind == "bundled"  # type: ignore[union-attr]


def test_importable_extension() -> None:
    init = elf(python_init_exports=("PyInit__x",))
    assert is_importable_extension(native(EXT, init))
    # A hidden entry point still imports the C API: CPython imports it (and ABG306 explains the failure).
    assert is_importable_extension(native(EXT, elf(unversioned_imports=("PyLong_FromLong",))))
    # Named like a module, but neither exports an entry point nor uses the C API: a ctypes/cffi library.
    assert not is_importable_extension(native(EXT))
    assert not is_importable_extension(native("pkg.libs/_x.cpython-311-x86_64-linux-gnu.so", init))
    assert not is_importable_extension(native("torch/lib/libtorch.so"))
    assert is_importable_extension(native("pkg/_x.so", init))
    assert not is_importable_extension(native("pkg/libfoo.so.1"))


def test_lambda_ld_library_path_reaches_the_zips_lib_folder() -> None:
    lam = glibc_profile(library_paths=("/var/lang/lib", "/lib64", "/var/task", "/var/task/lib", "/opt/lib"),
                        artifact_roots=("/var/task", "/opt"))
    files = [lib(EXT, "libpq.so.5"), lib("lib/libpq.so.5")]
    res = outcome(artifact("fn.zip", files, kind="zip"), EXT, "libpq.so.5", lam)
    assert (res.kind, res.member, res.via) == ("bundled", "lib/libpq.so.5", "LD_LIBRARY_PATH (/var/task/lib)")
    # a wheel is installed into site-packages, not unpacked at /var/task
    assert outcome(artifact("w.whl", files), EXT, "libpq.so.5", lam).kind == "unreachable"
    # without those paths in the profile, nothing reaches lib/
    assert outcome(artifact("fn.zip", files, kind="zip"), EXT, "libpq.so.5").kind == "unreachable"


# -- deploy roots: which folders of a deploy zip are on the loader's search path ------------------------


_LAMBDA_PATHS = ("/var/lang/lib", "/lib64", "/var/task", "/var/task/lib", "/opt/lib")


def test_without_artifact_roots_nothing_in_the_artifact_is_on_the_system_search_path() -> None:
    # The search path names /var/task/lib, but the profile does not say the zip is unpacked at /var/task.
    bare = glibc_profile(library_paths=_LAMBDA_PATHS)
    files = [lib(EXT, "libpq.so.5", "libroot.so"), lib("lib/libpq.so.5"), lib("libroot.so")]
    facts = artifact("fn.zip", files, kind="zip")
    for needed in ("libpq.so.5", "libroot.so"):
        res = outcome(facts, EXT, needed, bare)
        assert (res.kind, res.searched) == ("unreachable", ()), needed


def test_artifact_roots_map_member_folders_to_target_paths() -> None:
    lam = glibc_profile(library_paths=_LAMBDA_PATHS, artifact_roots=("/var/task", "/opt"))
    files = [lib(EXT, "libroot.so", "libdeep.so"), lib("libroot.so"), lib("lib/sub/libdeep.so")]
    facts = artifact("fn.zip", files, kind="zip")
    # /var/task itself is on LD_LIBRARY_PATH: the zip's top folder is searched.
    root = outcome(facts, EXT, "libroot.so", lam)
    assert (root.kind, root.member, root.via) == ("bundled", "libroot.so", "LD_LIBRARY_PATH (/var/task)")
    # lib/sub is /var/task/lib/sub, which is not on the search path; lib/ and the top folder were searched.
    deep = outcome(facts, EXT, "libdeep.so", lam)
    assert deep.kind == "unreachable"
    assert deep.searched == (".", "lib")


def test_a_layer_root_maps_lib_to_opt_lib() -> None:
    # A layer zip unpacks under /opt: its lib/ is /opt/lib, on Lambda's LD_LIBRARY_PATH.
    layer = glibc_profile(library_paths=("/lib64", "/opt/lib"), artifact_roots=("/opt/",))
    files = [lib("python/" + EXT, "libpq.so.5"), lib("lib/libpq.so.5")]
    res = outcome(artifact("layer.zip", files, kind="zip"), "python/" + EXT, "libpq.so.5", layer)
    assert (res.kind, res.member, res.via) == ("bundled", "lib/libpq.so.5", "LD_LIBRARY_PATH (/opt/lib)")
    # A path that merely starts with the root's text is not under it.
    near = glibc_profile(library_paths=("/optional/lib",), artifact_roots=("/opt",))
    assert outcome(artifact("layer.zip", files, kind="zip"), "python/" + EXT, "libpq.so.5", near).kind == "unreachable"


def test_builtin_lambda_profiles_search_the_deploy_zips_lib_folder() -> None:
    from abigate.profiles import load_profile

    lam = load_profile("aws-lambda-python3.12-x86_64")
    assert lam.artifact_roots == ("/var/task", "/opt")
    files = [lib(EXT, "libpq.so.5"), lib("lib/libpq.so.5")]
    res = outcome(artifact("fn.zip", files, kind="zip"), EXT, "libpq.so.5", lam)
    assert (res.kind, res.member, res.via) == ("bundled", "lib/libpq.so.5", "LD_LIBRARY_PATH (/var/task/lib)")
    # An OS profile has no deploy root: the same zip's lib/ is not searched there.
    assert load_profile("debian-12").artifact_roots == ()
    assert outcome(artifact("fn.zip", files, kind="zip"), EXT, "libpq.so.5",
                   load_profile("debian-12")).kind == "unreachable"


# -- one load per root, as glibc's _dl_map_object_deps does it -------------------------------------------


def _count_searches(monkeypatch, facts, profile=P):  # type: ignore[no-untyped-def]
    """Resolve *facts* and count the directory searches the resolver really made."""
    from abigate import resolve

    calls = []
    original = resolve._Resolver._search

    def counting(self, requester, needed, dirs):  # type: ignore[no-untyped-def]
        calls.append((requester, needed))
        return original(self, requester, needed, dirs)

    monkeypatch.setattr(resolve._Resolver, "_search", counting)
    return resolve_artifact(facts, profile), calls


def test_a_dense_graph_of_300_libraries_is_resolved_in_linear_work(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Every library needs the ten before it, all through DT_RPATH=$ORIGIN (inherited down every chain, which
    # is what made the old per-path walk exponential). One extension loads the last library.
    n = 300
    names = [f"libl{i}.so" for i in range(n)]
    files = [
        lib(f"pkg.libs/{names[i]}", *names[max(0, i - 10) : i], rpath=("$ORIGIN",)) for i in range(n)
    ]
    files.append(lib(EXT, names[-1], rpath=("$ORIGIN/../pkg.libs",), python_init_exports=("PyInit__x",)))
    res, calls = _count_searches(monkeypatch, artifact("w.whl", files))
    edges = sum(min(i, 10) for i in range(n)) + 1
    assert all(r.kind == "bundled" for r in res.entries.values())
    assert len(res.entries) == edges
    assert len(res.dependencies) == n
    # Each library is loaded once: one search for each of its names not yet loaded, never one per path.
    assert len(calls) <= edges


def test_every_library_a_root_stays_bounded(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # 60 extension modules that each need all of the others: 60 roots × 59 names, and no blow-up.
    n = 60
    mods = [f"pkg/_m{i}.cpython-311-x86_64-linux-gnu.so" for i in range(n)]
    files = [
        lib(m, *(posixpath.basename(o) for o in mods if o != m), rpath=("$ORIGIN",),
            python_init_exports=(f"PyInit__m{i}",))
        for i, m in enumerate(mods)
    ]
    res, calls = _count_searches(monkeypatch, artifact("w.whl", files))
    assert len(res.entries) == n * (n - 1)
    assert all(r.kind == "bundled" for r in res.entries.values())
    # Lookups with the same requester, name and inherited search path are shared between roots.
    assert len(calls) <= 2 * n * (n - 1)


def test_ten_libraries_each_needing_all_others_with_rpath_to_every_folder(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # The crafted input that took factorial time: ten folders, each library needs the nine others and has
    # an RPATH entry for every folder.
    folders = [f"d{i}" for i in range(10)]
    rpath = tuple(f"$ORIGIN/../{d}" for d in folders)
    files = [
        lib(f"{d}/lib{d}.so", *(f"lib{o}.so" for o in folders if o != d), rpath=rpath) for d in folders
    ]
    res, calls = _count_searches(monkeypatch, artifact("w.whl", files))
    assert len(res.entries) == 90
    assert all(r.kind == "bundled" for r in res.entries.values())
    assert len(calls) <= 10 * 90


def test_a_loaded_soname_satisfies_a_later_request_on_glibc_but_not_on_musl() -> None:
    # The extension loads a/libfoo-abc.so (SONAME libfoo.so.1) through its RPATH; b/libpng.so needs libfoo.so.1 and
    # has no search path of its own. glibc matches the loaded object's SONAME; musl only matches the name it
    # was loaded under, and searches.
    files = [
        lib(EXT, "libfoo-abc.so", "libpng.so", runpath=("$ORIGIN/../a", "$ORIGIN/../b"),
            python_init_exports=("PyInit__x",)),
        lib("a/libfoo-abc.so", soname="libfoo.so.1"),
        lib("b/libpng.so", "libfoo.so.1"),
    ]
    facts = artifact("w.whl", files)
    res = outcome(facts, "b/libpng.so", "libfoo.so.1")
    assert (res.kind, res.member, res.via) == ("bundled", "a/libfoo-abc.so", "already loaded")
    assert outcome(facts, "b/libpng.so", "libfoo.so.1", musl_profile()).kind == "missing"


def test_the_load_order_decides_as_it_does_for_the_loader() -> None:
    # The extension needs libc2 then liba. Breadth first: libc2's needs are searched before liba's, so
    # libb (only liba's RUNPATH reaches it) is not loaded yet when libc2 asks for it: the import fails.
    def files(order: tuple[str, ...]):  # type: ignore[no-untyped-def]
        return [
            lib(EXT, *order, runpath=("$ORIGIN/../libs",), python_init_exports=("PyInit__x",)),
            lib("libs/liba.so", "libb.so", runpath=("$ORIGIN/deep",)),
            lib("libs/deep/libb.so", soname="libb.so"),
            lib("libs/libc2.so", "libb.so"),
        ]

    assert outcome(artifact("w.whl", files(("libc2.so", "liba.so"))), "libs/libc2.so", "libb.so").kind == (
        "unreachable"
    )
    later = outcome(artifact("w.whl", files(("liba.so", "libc2.so"))), "libs/libc2.so", "libb.so")
    assert (later.kind, later.via) == ("bundled", "already loaded")


def test_a_program_root_is_recorded_and_an_extension_failure_wins() -> None:
    # torch/bin/test_shim needs ../lib/libtorch.so with no RUNPATH: met only when the program is run.
    files = [
        lib("torch/bin/test_shim", "libtorch.so", type="pie", interpreter="/lib64/ld-linux-x86-64.so.2"),
        lib("torch/lib/libtorch.so", "libc10.so", runpath=("$ORIGIN",)),
        lib("torch/lib/libc10.so"),
        lib("torch/_C.cpython-311-x86_64-linux-gnu.so", "libtorch.so", runpath=("$ORIGIN/lib",),
            python_init_exports=("PyInit__C",)),
    ]
    res = resolve_artifact(artifact("w.whl", files), P)
    assert res.roles["torch/bin/test_shim"] == "program"
    assert res.roles["torch/lib/libtorch.so"] == "library"
    shim = res.get("torch/bin/test_shim", "libtorch.so")
    assert shim is not None and (shim.kind, shim.root_role) == ("unreachable", "program")
    assert res.get("torch/_C.cpython-311-x86_64-linux-gnu.so", "libtorch.so").kind == "bundled"  # type: ignore[union-attr]
    # A library that fails both from a program and from an extension keeps the extension's failure.
    files2 = [
        lib("bin/tool", "liba.so", type="executable", interpreter="/lib64/ld-linux-x86-64.so.2",
            rpath=("$ORIGIN/../libs",)),
        lib(EXT, "liba.so", rpath=("$ORIGIN/../libs",), python_init_exports=("PyInit__x",)),
        lib("libs/liba.so", "libmissing.so.1"),
    ]
    res2 = outcome(artifact("w.whl", files2), "libs/liba.so", "libmissing.so.1")
    assert (res2.kind, res2.root, res2.root_role) == ("missing", EXT, "extension")


def test_a_wheels_unshipped_top_level_folder_belongs_to_another_distribution() -> None:
    # PySide6's modules carry RUNPATH $ORIGIN/../shiboken6: the shiboken6 wheel's folder in site-packages.
    files = [lib("PySide6/QtCore.abi3.so", "libshiboken6.abi3.so.6.11", runpath=("$ORIGIN/../shiboken6",),
                 python_init_exports=("PyInit_QtCore",))]
    res = outcome(artifact("w.whl", files), "PySide6/QtCore.abi3.so", "libshiboken6.abi3.so.6.11")
    assert (res.kind, res.outside) == ("outside", ("$ORIGIN/../shiboken6",))
    # In a deploy zip everything is there: the same folder is searched, and the library is missing.
    zipped = outcome(artifact("fn.zip", files, kind="zip"), "PySide6/QtCore.abi3.so", "libshiboken6.abi3.so.6.11")
    assert (zipped.kind, zipped.searched) == ("missing", ("shiboken6",))


def test_a_very_deep_chain_keeps_memory_and_reports_bounded() -> None:
    # 5,000 libraries in 5,000 folders, each loading the next through an RPATH to its folder: every lookup
    # inherits the RPATHs of the whole chain. Inherited paths are interned and capped, chains are parent
    # pointers, so memory stays near the size of the facts (it used to be quadratic: 20,000 went out of memory).
    import tracemalloc

    n = 5000
    files = [
        lib(f"pkg/m{i}/libx{i}.so", f"libx{i + 1}.so", rpath=(f"$ORIGIN/../m{i + 1}",)) for i in range(n)
    ]
    facts = artifact("w.whl", files)
    tracemalloc.start()
    try:
        res = resolve_artifact(facts, P)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sum(r.kind == "bundled" for r in res.entries.values()) == n - 1
    assert res.get(f"pkg/m{n - 1}/libx{n - 1}.so", f"libx{n}.so").kind == "missing"  # type: ignore[union-attr]
    assert max(len(r.chain) for r in res.entries.values()) <= 65
    assert peak < 40_000_000


def test_the_work_budget_ends_resolution_with_a_finding(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Issue 11: ten libraries that each need all the others, with an RPATH to every folder. The resolver is
    # linear per root, but its work per artifact is still bounded (limits.MAX_RESOLVER_STEPS): spent, it
    # stops and says so (ABG005), it never runs on.
    import functools

    from abigate import evaluate as evaluate_module
    from abigate.evaluate import evaluate

    names = [f"libn{i}.so" for i in range(10)]
    rpath = tuple(f"$ORIGIN/../d{k}" for k in range(10))
    files = [lib(f"d{i}/{name}", *[n for n in names if n != name], rpath=rpath) for i, name in enumerate(names)]
    facts = artifact("crafted.zip", files)
    whole = resolve_artifact(facts, P)
    assert whole.budget is None and len(whole.entries) == 90
    cut = resolve_artifact(facts, P, max_steps=50)
    assert cut.budget is not None and "more than 50 steps" in cut.budget
    assert len(cut.entries) < 90

    monkeypatch.setattr(evaluate_module, "resolve_artifact", functools.partial(resolve_artifact, max_steps=50))
    findings = evaluate(facts, P)
    budget = [f for f in findings if f.code == "ABG005"]
    assert len(budget) == 1 and "work budget" in budget[0].message and budget[0].path == "crafted.zip"
