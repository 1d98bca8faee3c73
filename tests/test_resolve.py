"""DT_NEEDED resolution inside an artifact, glibc and musl rules (loader.md §9). Facts built in the test."""

from __future__ import annotations

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
    assert res.outside == ("$ORIGIN/../../nvidia/cublas/lib", "/opt/x/lib", "$LIB/x")


def test_cycles_terminate() -> None:
    facts = artifact(
        "w.whl",
        [lib("a/liba.so", "libb.so", rpath=("$ORIGIN",)), lib("a/libb.so", "liba.so", rpath=("$ORIGIN",))],
    )
    res = resolve_artifact(facts, P)
    assert res.get("a/liba.so", "libb.so").kind == "bundled"  # type: ignore[union-attr]
    assert res.get("a/libb.so", "liba.so").kind == "bundled"  # type: ignore[union-attr]


def test_importable_extension() -> None:
    assert is_importable_extension(native(EXT))
    assert not is_importable_extension(native("pkg.libs/_x.cpython-311-x86_64-linux-gnu.so"))
    assert not is_importable_extension(native("torch/lib/libtorch.so"))
    assert is_importable_extension(native("pkg/_x.so", elf(python_init_exports=("PyInit__x",))))
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
