#!/usr/bin/env python3
"""Generate the built-in runtime profiles (``src/abigate/profiles/*.toml``) from the tables below.

Every value is a runtime fact with its public source and confidence (``docs/runtimes.md`` lists them, and
``docs/loader.md`` the loader behaviour behind the executable-stack rule): V → verified, D → documented,
I → inferred, U → unknown. Version *sets*
are not written out: the files say ``derive = "glibc"`` / ``"gcc 12.2"`` / ``"zlib 1.2.13"`` and abigate
computes the node names for the profile's architecture (``abigate.glibc_versions``), marked not exact.

Run ``python scripts/gen_profiles.py`` after editing; ``tests/test_profiles_builtin.py`` checks that the
committed files equal the output (``--check`` does the same here).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "src"))

from abigate.glibc_versions import gcc_libstdcxx_nodes, glibc_has_library  # noqa: E402
from abigate.loaders import GLIBC_LOADERS, alpine_libc_alias, musl_loader  # noqa: E402
from abigate.profiles._render import dumps_toml  # noqa: E402
from abigate.symver import max_node  # noqa: E402

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "src", "abigate", "profiles")

SOURCES: dict[str, tuple[str, str]] = {
    "A1": ("https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html", "AWS Lambda: building with Python"),
    "A2": ("https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html", "AWS Lambda runtimes"),
    "A3": ("https://docs.amazonaws.cn/lambda/latest/dg/python-programming-model.html", "Lambda Python runtimes"),
    "A4": ("https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html", "Lambda quotas"),
    "A5": ("https://docs.amazonaws.cn/en_us/linux/al2023/ug/glibc-gcc-and-binutils.md", "AL2023 glibc, gcc, binutils"),
    "A6": ("https://docs.aws.amazon.com/linux/al2023/ug/core-glibc.html", "AL2023 core glibc"),
    "A7": ("https://aws.amazon.com/blogs/compute/python-3-12-runtime-now-available-in-aws-lambda/",
           "Python 3.12 runtime on Lambda"),
    "A8": ("https://endoflife.date/aws-lambda", "endoflife.date: AWS Lambda"),
    "A9": ("https://github.com/aws/aws-lambda-base-images", "aws-lambda-base-images (Dockerfiles, issues)"),
    "A10": ("https://github.com/awslabs/aws-media-replay-engine/issues/13", "libssl.so.3 missing on AL2"),
    "A11": ("https://github.com/urllib3/urllib3/issues/2168", "urllib3 v2 and Lambda OpenSSL"),
    "A12": ("https://github.com/aws/aws-lambda-builders/pull/752", "aws-lambda-builders: glibc 2.34 for 3.12+"),
    "A13": ("https://github.com/amazonlinux/amazon-linux-2023/issues/625", "AL2023 private libssl in /var/lang/lib"),
    "A14": ("https://github.com/aws/aws-lambda-rust-runtime/issues/683", "provided.al2 lacks libssl.so.1.1"),
    "A16": ("https://github.com/dhrimov/package-python-lambda-gha", "python3.14 on AL2023"),
    "Z1": ("https://github.com/Azure/azure-functions-docker", "Azure Functions images (host/4/*/python)"),
    "Z2": ("https://github.com/Azure/azure-functions-python-worker/issues/1651", "Azure Python <= 3.11 on glibc 2.31"),
    "G1": ("https://docs.cloud.google.com/run/docs/runtimes/python", "Cloud Run Python runtimes"),
    "G2": ("https://cloud.google.com/docs/buildpacks/stacks", "Google Cloud buildpack stacks"),
    "G3": ("https://cloud.google.com/run/docs/container-contract", "Cloud Run container contract"),
    "G5": ("https://github.com/GoogleCloudPlatform/buildpacks", "GCP buildpacks (run-packages, install.go)"),
    "H1": ("https://github.com/heroku/base-images", "Heroku base images (installed-packages-*.txt)"),
    "H2": ("https://devcenter.heroku.com/articles/slug-compiler", "Heroku slug compiler (500 MB)"),
    "MR": ("https://github.com/pypa/manylinux", "pypa/manylinux README (compatibility, images)"),
    "AW": ("https://github.com/pypa/auditwheel/tree/main/src/auditwheel/policy", "auditwheel policy JSON"),
    "DP": ("https://github.com/docker-library/python", "docker-library/python"),
    "DEB": ("https://packages.debian.org/", "Debian package archive (libc6, libstdc++6, libssl, libffi, zlib1g)"),
    "UBU": ("https://packages.ubuntu.com/", "Ubuntu package archive"),
    "RH": ("https://github.com/openshift/bpfman/pull/633", "UBI 9 glibc and x86-64-v2 baseline"),
    "RH10": ("https://developers.redhat.com/articles/2025/05/20/c23-support-glibc", "Red Hat: RHEL 10 toolchain"),
    "AL": ("https://wiki.alpinelinux.org/wiki/Release_Notes_for_Alpine_3.13.0", "Alpine 3.13: musl 1.2"),
    "AL2": ("https://github.com/coder/coder/pull/17799", "Alpine 3.21 musl 1.2.5"),
    "AL3": ("https://github.com/home-assistant/wheels", "home-assistant wheels: Alpine package versions"),
    "C1": ("https://gcc.gnu.org/onlinedocs/libstdc++/manual/abi.html", "libstdc++ ABI policy (GCC -> GLIBCXX)"),
    "GL": ("https://github.com/bminor/glibc/blob/master/NEWS", "glibc NEWS (2.41: no executable stack for dlopen)"),
    "GA": ("https://github.com/ziglang/libc-abi-tools", "glibc *.abilist consolidation (derived node sets)"),
    "PG": ("https://github.com/bminor/glibc/blob/master/elf/dl-load.c", "glibc loader (page size checks)"),
    "GS": ("https://sourceware.org/git/?p=glibc.git;a=tree;f=sysdeps/unix/sysv/linux",
           "glibc's *.abilist files (2.43; libcrypt from 2.36): nodes of libmvec, libanl, libnsl, ..."),
    "DEBC": ("https://packages.debian.org/search?keywords=libc6",
             "Debian libc6 2.31 / 2.36 / 2.41 (amd64, arm64) file lists and version definitions, measured"),
    "XC": ("https://github.com/besser82/libxcrypt", "libxcrypt: libcrypt.so.1 (XCRYPT_2.0, _4.3, _4.4)"),
}

V, D, I, U = "verified", "documented", "inferred", "unknown"

#: libraries every glibc install has (Debian's libc6 2.31 / 2.36 / 2.41 file lists, measured; glibc's
#: abilists). The loader, libmvec, libc_malloc_debug and libcrypt depend on arch and release; see
#: glibc_libraries().
GLIBC_LIBS = ("libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1", "libutil.so.1",
              "libresolv.so.2", "libanl.so.1", "libBrokenLocale.so.1", "libthread_db.so.1",
              "libnss_files.so.2", "libnss_dns.so.2", "libnss_compat.so.2")
#: glibc's own unversioned helper libraries Debian's libc6 installs (LD_PRELOAD tools; nobody links them).
DEBIAN_GLIBC_EXTRAS = ("libmemusage.so", "libpcprofile.so")
MULTIARCH = {"x86_64": "x86_64-linux-gnu", "aarch64": "aarch64-linux-gnu"}
ARCH_SUFFIX = {"x86_64": "", "aarch64": "-arm64"}

LIBFFI_NODES = {
    "libffi.so.8": ["LIBFFI_BASE_8.0", "LIBFFI_CLOSURE_8.0", "LIBFFI_COMPLEX_8.0", "LIBFFI_GO_CLOSURE_8.0"],
    "libffi.so.7": ["LIBFFI_BASE_7.0", "LIBFFI_BASE_7.1", "LIBFFI_CLOSURE_7.0", "LIBFFI_COMPLEX_7.0",
                    "LIBFFI_GO_CLOSURE_7.0"],
    "libffi.so.6": [],
}


#: real file names of libffi where measured (Debian rootfs trees, from-rootfs).
FFI_FILES = {"debian-11": "libffi.so.7.1.0", "debian-12": "libffi.so.8.1.2", "debian-13": "libffi.so.8.1.4"}


def openssl(soname_major: str, minor: int = 0) -> dict[str, list[str]]:
    """Version nodes of libssl/libcrypto: 3.0.x measured on Debian 12 (3.0.x) and 3.5 on Debian 13 (libcrypto
    adds ``OPENSSL_3.1.0`` from 3.1 on, libssl does not); other minors add ``OPENSSL_3.<m>.0`` (inferred);
    1.1 measured on Debian 11 (1.1.1w); 1.0 unversioned."""
    if soname_major == "3":
        extra = [f"OPENSSL_3.{m}.0" for m in range(2, minor + 1)]
        crypto_extra = (["OPENSSL_3.1.0"] if minor >= 1 else []) + extra
        return {"libssl.so.3": ["OPENSSL_3.0.0", *extra],
                "libcrypto.so.3": ["OPENSSL_3.0.0", "OPENSSL_3.0.3", "OPENSSL_3.0.8", "OPENSSL_3.0.9",
                                   *crypto_extra]}
    if soname_major == "1.1":
        return {"libssl.so.1.1": ["OPENSSL_1_1_0", "OPENSSL_1_1_0d", "OPENSSL_1_1_1", "OPENSSL_1_1_1a"],
                "libcrypto.so.1.1": ["OPENSSL_1_1_0", "OPENSSL_1_1_0a", "OPENSSL_1_1_0c", "OPENSSL_1_1_0d",
                                     "OPENSSL_1_1_0f", "OPENSSL_1_1_0g", "OPENSSL_1_1_0h", "OPENSSL_1_1_0i",
                                     "OPENSSL_1_1_0j", "OPENSSL_1_1_1", "OPENSSL_1_1_1b", "OPENSSL_1_1_1c",
                                     "OPENSSL_1_1_1d", "OPENSSL_1_1_1e", "OPENSSL_1_1_1h"]}
    return {"libssl.so.10": ["libssl.so.10"], "libcrypto.so.10": ["libcrypto.so.10"]}


def lib(conf: str, refs: list[str], note: str = "", **fields: Any) -> dict[str, Any]:
    out = dict(fields)
    out["confidence"] = conf
    if refs:
        out["sources"] = refs
    if note:
        out["note"] = note
    return out


def prov(conf: str, refs: list[str], note: str = "") -> dict[str, Any]:
    return lib(conf, refs, note)


# ---------------------------------------------------------------------------------------------------------
# OS bases


OS_BASES: list[dict[str, Any]] = [
    # id, title, os, libc (ver, conf, refs), gcc (ver, conf), openssl, libffi, zlib, python, arches, paths kind
    dict(id="debian-11", title="Debian 11 (bullseye)", os=("debian", "11", "Debian GNU/Linux 11 (bullseye)"),
         glibc=("2.31", V, ["DEB"]), gcc=("10.2", V, ["DEB", "C1"]), ssl=("1.1", 1, V, ["DEB"]),
         ffi=("libffi.so.7", V, ["DEB"]), zlib=("1.2.11", V, ["DEB"]), python=("3.9", V, ["DEB"]), layout="debian",
         crypt=("xcrypt", "4.4.18", V, ["DEB"])),
    dict(id="debian-12", title="Debian 12 (bookworm)", os=("debian", "12", "Debian GNU/Linux 12 (bookworm)"),
         glibc=("2.36", V, ["DEB"]), gcc=("12.2", V, ["DEB", "C1"]), ssl=("3", 0, V, ["DEB"]),
         ffi=("libffi.so.8", V, ["DEB"]), zlib=("1.2.13", V, ["DEB"]), python=("3.11", V, ["DEB"]), layout="debian",
         crypt=("xcrypt", "4.4.33", V, ["DEB"])),
    dict(id="debian-13", title="Debian 13 (trixie)", os=("debian", "13", "Debian GNU/Linux 13 (trixie)"),
         glibc=("2.41", V, ["DEB"]), gcc=("14.2", V, ["DEB", "C1"]), ssl=("3", 5, V, ["DEB"]),
         ffi=("libffi.so.8", V, ["DEB"]), zlib=("1.3.1", V, ["DEB"]), python=("3.13", V, ["DEB"]), layout="debian",
         crypt=("xcrypt", "4.4.38", V, ["DEB"]),
         libc_extra={("x86_64", "libc.so.6"): ["GLIBC_ABI_DT_X86_64_PLT", "GLIBC_ABI_GNU2_TLS"]}),
    dict(id="ubuntu-20.04", title="Ubuntu 20.04 LTS (focal)", os=("ubuntu", "20.04", "Ubuntu 20.04 LTS"),
         glibc=("2.31", D, ["UBU"]), gcc=("10.5", I, ["UBU", "C1"]), ssl=("1.1", 1, D, ["UBU"]),
         ffi=("libffi.so.7", V, ["H1"]), zlib=("1.2.11", I, ["UBU"]), python=None, layout="debian",
         crypt=("xcrypt", "4.4.10", I, ["UBU"])),
    dict(id="ubuntu-22.04", title="Ubuntu 22.04 LTS (jammy)", os=("ubuntu", "22.04", "Ubuntu 22.04 LTS"),
         glibc=("2.35", D, ["UBU"]), gcc=("12.3", I, ["UBU", "C1"]), ssl=("3", 0, D, ["UBU"]),
         ffi=("libffi.so.8", V, ["H1"]), zlib=("1.2.11", I, ["UBU"]), python=None, layout="debian",
         crypt=("xcrypt", "4.4.27", I, ["UBU"])),
    dict(id="ubuntu-24.04", title="Ubuntu 24.04 LTS (noble)", os=("ubuntu", "24.04", "Ubuntu 24.04 LTS"),
         glibc=("2.39", D, ["UBU"]), gcc=("14.2", I, ["UBU", "C1"]), ssl=("3", 0, D, ["UBU"]),
         ffi=("libffi.so.8", V, ["H1"]), zlib=("1.3", I, ["UBU"]), python=None, layout="debian",
         crypt=("xcrypt", "4.4.36", I, ["UBU"])),
    dict(id="amazonlinux-2", title="Amazon Linux 2", os=("amzn", "2", "Amazon Linux 2"),
         glibc=("2.26", D, ["A5"]), gcc=("7.3", I, ["A5", "C1"]), ssl=("1.0", 0, D, ["A10"]),
         ffi=("libffi.so.6", I, []), zlib=("1.2.7", I, []), python=None, layout="rpm",
         crypt=("glibc",)),
    dict(id="amazonlinux-2023", title="Amazon Linux 2023", os=("amzn", "2023", "Amazon Linux 2023"),
         glibc=("2.34", D, ["A6"]), gcc=("11.2", I, ["A5", "C1"]), ssl=("3", 0, D, ["A13"]),
         ffi=("libffi.so.8", I, []), zlib=("1.2.11", I, ["A13"]), python=None, layout="rpm",
         crypt=("xcrypt", "4.4.33", I, [])),
    dict(id="rhel-8", title="RHEL / UBI 8", os=("rhel", "8", "Red Hat Enterprise Linux 8"),
         glibc=("2.28", D, ["MR"]), gcc=("8.5", I, ["C1"]), ssl=("1.1", 1, I, []),
         ffi=("libffi.so.6", I, []), zlib=("1.2.11", I, []), python=None, layout="rpm",
         crypt=("xcrypt", "4.1.1", I, [])),
    dict(id="rhel-9", title="RHEL / UBI 9", os=("rhel", "9", "Red Hat Enterprise Linux 9"),
         glibc=("2.34", D, ["RH"]), gcc=("11.5", I, ["C1"]), ssl=("3", 2, D, ["RH"]),
         ffi=("libffi.so.8", I, []), zlib=("1.2.11", I, []), python=None, layout="rpm", isa=(2, D, ["RH", "MR"]),
         crypt=("xcrypt", "4.4.18", I, [])),
    dict(id="rhel-10", title="RHEL / UBI 10", os=("rhel", "10", "Red Hat Enterprise Linux 10"),
         glibc=("2.39", D, ["RH10"]), gcc=("14.2", I, ["RH10", "C1"]), ssl=("3", 2, I, []),
         ffi=("libffi.so.8", I, []), zlib=("1.3.1", I, []), python=None, layout="rpm", isa=(3, I, []),
         crypt=("xcrypt", "4.4.36", I, [])),
]

ALPINE: list[tuple[str, str, str, list[str], str, str, list[str], int]] = [
    # version, musl, conf, refs, gcc, gcc conf, gcc refs, openssl minor
    ("3.19", "1.2.4", I, [], "13.2", D, ["AL3"], 1),
    ("3.20", "1.2.5", I, [], "13.2", D, ["AL3"], 3),
    ("3.21", "1.2.5", D, ["AL2"], "14.2", I, [], 3),
    ("3.22", "1.2.5", I, ["MR"], "14.2", D, ["MR"], 5),
]


def base_paths(layout: str, arch: str) -> list[str]:
    if layout == "debian":
        ma = MULTIARCH[arch]
        return [f"/usr/local/lib/{ma}", f"/lib/{ma}", f"/usr/lib/{ma}", "/usr/local/lib", "/lib", "/usr/lib"]
    if layout == "rpm":
        return ["/lib64", "/usr/lib64"]
    return ["/lib", "/usr/local/lib", "/usr/lib"]


def release(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split("."))


def glibc_file_name(soname: str, glibc: str) -> str | None:
    """The real file glibc < 2.34 installs a library as (``libc-2.31.so``, ``ld-2.31.so``,
    ``libthread_db-1.0.so``); from 2.34 on the file is named by its soname (Debian's libc6 lists)."""
    if release(glibc) >= (2, 34) or ".so." not in soname:
        return None
    if soname.startswith("libthread_db"):
        return "libthread_db-1.0.so"
    stem = "ld" if soname in GLIBC_LOADERS.values() else soname.split(".so", 1)[0]
    return f"{stem}-{glibc}.so"


def xcrypt_nodes(arch: str, version: str) -> list[str]:
    """libxcrypt's ``libcrypt.so.1`` nodes: glibc's base node (compat API), XCRYPT_2.0, and XCRYPT_4.3 /
    XCRYPT_4.4 from those releases (measured on Debian's libcrypt1 4.4.18, 4.4.33, 4.4.38)."""
    base = "GLIBC_2.2.5" if arch == "x86_64" else "GLIBC_2.17"
    nodes = [base, "XCRYPT_2.0"]
    later = (("XCRYPT_4.3", (4, 3)), ("XCRYPT_4.4", (4, 4)))
    nodes += [n for n, since in later if release(version)[:2] >= since]
    return nodes


def glibc_libraries(spec: dict[str, Any], arch: str) -> dict[str, Any]:
    """Every library the distribution's glibc installs for *arch*, with derived nodes and real file names."""
    glibc, conf, refs = spec["glibc"]
    layout = spec["layout"]
    cite = [*refs, "GA", "GS"] + (["DEBC"] if layout == "debian" else [])
    names = [GLIBC_LOADERS[arch], *GLIBC_LIBS]
    if layout == "debian" or release(glibc) < (2, 28):
        # glibc >= 2.28 builds libnsl.so.1 only for compatibility; RPM distributions moved it to a separate
        # ``libnsl`` package that base images do not install.
        names.append("libnsl.so.1")
    if layout == "debian":
        names.append("libnss_hesiod.so.2")
    for soname in ("libc_malloc_debug.so.0", "libmvec.so.1"):
        if glibc_has_library(arch, soname, release(glibc)):
            names.append(soname)
    out: dict[str, Any] = {}
    for soname in names:
        note = "nodes derived from glibc's ABI lists for this release and architecture"
        fields: dict[str, Any] = {"derive": "glibc"}
        if soname == GLIBC_LOADERS[arch]:
            note = "the dynamic loader (every glibc target has it); " + note
        real = glibc_file_name(soname, glibc)
        if real:
            fields["files"] = [real]
        extra = spec.get("libc_extra", {}).get((arch, soname))
        if extra:
            fields["extra_versions"] = extra
            note += f"; plus {', '.join(extra)} measured on the distribution's build"
        out[soname] = lib(conf, cite, note, **fields)
    if layout == "debian":
        extras = list(DEBIAN_GLIBC_EXTRAS) + (["libSegFault.so"] if release(glibc) < (2, 35) else [])
        for soname in extras:
            out[soname] = lib(conf, [*refs, "DEBC"], "glibc's unversioned LD_PRELOAD helper", versions=[])
    crypt = spec["crypt"]
    if crypt[0] == "glibc":
        fields = {"derive": "glibc"}
        real = glibc_file_name("libcrypt.so.1", glibc)
        if real:
            fields["files"] = [real]
        out["libcrypt.so.1"] = lib(conf, [*refs, "GS"], "glibc's own libcrypt (built until 2.38)", **fields)
    else:
        _, version, cconf, crefs = crypt
        out["libcrypt.so.1"] = lib(cconf, [*crefs, "XC"], f"libxcrypt {version} replaces glibc's libcrypt",
                                   versions=xcrypt_nodes(arch, version), files=["libcrypt.so.1.1.0"])
    return out


def libstdcxx_file(gcc: str, arch: str) -> str:
    """``libstdc++.so.6.0.<n>``: the real file is named after the top GLIBCXX_3.4.<n> node
    (docs/runtimes.md#gcc-runtime-versions)."""
    top = max_node(gcc_libstdcxx_nodes(release(gcc), arch) or frozenset(), "GLIBCXX")
    assert top is not None
    return f"libstdc++.so.6.0.{top.rsplit('.', 1)[1]}"


def os_profile(spec: dict[str, Any], arch: str) -> dict[str, Any]:
    glibc, gconf, grefs = spec["glibc"]
    gcc, gcc_conf, gcc_refs = spec["gcc"]
    ssl_major, ssl_minor, ssl_conf, ssl_refs = spec["ssl"]
    ffi, ffi_conf, ffi_refs = spec["ffi"]
    zlib, zconf, zrefs = spec["zlib"]
    arm = arch == "aarch64"
    libs = glibc_libraries(spec, arch)
    libs["libstdc++.so.6"] = lib(gcc_conf, gcc_refs, f"libstdc++6 from GCC {gcc}; nodes per docs/runtimes.md#gcc-runtime-versions",
                                 derive=f"gcc {gcc}", files=[libstdcxx_file(gcc, arch)])
    libs["libgcc_s.so.1"] = lib(gcc_conf if not arm else I, gcc_refs, f"libgcc-s1 from GCC {gcc}",
                                derive=f"gcc {gcc}")
    libs["libz.so.1"] = lib(zconf, zrefs, f"zlib {zlib}", derive=f"zlib {zlib}", files=[f"libz.so.{zlib}"])
    ssl_note = ("OpenSSL 1.0.2k system library (soname .so.10, unversioned nodes not recorded)"
                if ssl_major == "1.0" else f"OpenSSL {ssl_major}; version nodes beyond 3.0.x inferred")
    for name, nodes in openssl(ssl_major, ssl_minor).items():
        libs[name] = lib(ssl_conf, ssl_refs, ssl_note, versions=[] if ssl_major == "1.0" else nodes)
    ffi_files = {"files": [FFI_FILES[spec["id"]]]} if spec["id"] in FFI_FILES else {}
    libs[ffi] = lib(ffi_conf, ffi_refs, "libffi" if LIBFFI_NODES[ffi] else "libffi 3.0/3.2: no symbol versions",
                    versions=LIBFFI_NODES[ffi], **ffi_files)
    pid = spec["id"] + ARCH_SUFFIX[arch]
    isa = spec.get("isa")
    out: dict[str, Any] = {
        "id": pid,
        "title": f"{spec['title']}, {arch}",
        "description": (f"Libraries: every library glibc {glibc} installs on {arch} (loader, libc, libm, "
                        "libmvec where built, libanl, libnss_*, libthread_db …, nodes from glibc's ABI lists, "
                        "real file names of glibc < 2.34), libcrypt, and the base image's C++, zlib, OpenSSL "
                        "and libffi."),
        "kind": "os",
        "arch": arch,
        "page_size": 4096,
    }
    prov_table: dict[str, Any] = {
        "arch": prov(D, grefs or ["MR"], "the distribution ships this architecture"),
        "libc": prov(gconf, grefs, f"glibc {glibc}"),
        "page_size": prov(D, ["PG"], "x86 pages are always 4 KiB") if not arm else
        prov(I, [], "4 KiB kernels are the default; 16K/64K kernels exist (docs/loader.md#page-alignment)"),
        "library_paths": prov(I, [], "the distribution's default ld.so.conf layout"),
    }
    if arch == "x86_64":
        level, iconf, irefs = isa if isa else (1, I, [])
        out["x86_isa_level"] = level
        prov_table["x86_isa_level"] = prov(iconf, irefs, "distribution baseline" if isa else
                                           "x86-64 baseline; the real CPUs may be newer")
    out["refuses_exec_stack"] = tuple(int(x) for x in glibc.split(".")) >= (2, 41)
    prov_table["refuses_exec_stack"] = prov(V if out["refuses_exec_stack"] else D, ["GL"],
                                            "glibc >= 2.41 refuses dlopen of exec-stack objects"
                                            if out["refuses_exec_stack"] else "glibc older than 2.41")
    out["library_paths"] = base_paths(spec["layout"], arch)
    out["os"] = dict(zip(("id", "version", "name"), spec["os"]))
    out["libc"] = {"family": "glibc", "version": glibc}
    out["libraries"] = libs
    if spec.get("python"):
        ver, pconf, prefs = spec["python"]
        out["python"] = [{"version": ver, "executable": f"/usr/bin/python{ver}", "shared_libpython": False,
                          "confidence": pconf, "sources": prefs,
                          "note": "the distribution's python3; Debian links libpython statically (inferred)"}]
    out["provenance"] = prov_table
    return out


def alpine_profile(ver: str, musl: str, conf: str, refs: list[str], gcc: str, gcc_conf: str, gcc_refs: list[str],
                   ssl_minor: int, arch: str) -> dict[str, Any]:
    libs = {
        "libc.so": lib(conf, refs, "musl's DT_NEEDED name; musl defines no symbol versions", versions=[]),
        f"{alpine_libc_alias(arch)}": lib(conf, refs, "musl; no symbol versions", versions=[]),
        f"{musl_loader(arch)}": lib(conf, refs, "musl's dynamic loader (its C library)", versions=[]),
        "libstdc++.so.6": lib(gcc_conf, gcc_refs, f"GCC {gcc}", derive=f"gcc {gcc}"),
        "libgcc_s.so.1": lib(gcc_conf if arch == "x86_64" else I, gcc_refs, f"GCC {gcc}", derive=f"gcc {gcc}"),
        "libz.so.1": lib(I, [], "zlib 1.3.1 (inferred)", derive="zlib 1.3.1"),
        "libffi.so.8": lib(I, [], "libffi 3.4", versions=LIBFFI_NODES["libffi.so.8"]),
    }
    for name, nodes in openssl("3", ssl_minor).items():
        libs[name] = lib(D if ssl_minor >= 3 else I, ["AL3"] if ssl_minor >= 3 else [],
                         f"OpenSSL 3.{ssl_minor}; nodes beyond 3.0.x inferred", versions=nodes)
    out: dict[str, Any] = {
        "id": f"alpine-{ver}{ARCH_SUFFIX[arch]}",
        "title": f"Alpine Linux {ver} (musl {musl}), {arch}",
        "kind": "os",
        "arch": arch,
        "page_size": 4096,
    }
    prov_table = {
        "arch": prov(D, ["MR"], "Alpine ships x86_64 and aarch64"),
        "libc": prov(conf, refs, f"musl {musl}"),
        "page_size": prov(D, ["PG"], "x86 pages are always 4 KiB") if arch == "x86_64" else prov(I, [], "4 KiB kernel"),
        "library_paths": prov(I, [], "musl's default search path"),
    }
    if arch == "x86_64":
        out["x86_isa_level"] = 1
        prov_table["x86_isa_level"] = prov(I, [], "x86-64 baseline")
    out["refuses_exec_stack"] = False
    prov_table["refuses_exec_stack"] = prov(D, ["GL"], "musl ignores PF_X on PT_GNU_STACK (docs/loader.md#executable-stack)")
    out["library_paths"] = base_paths("musl", arch)
    out["os"] = {"id": "alpine", "version": ver, "name": f"Alpine Linux v{ver}"}
    out["libc"] = {"family": "musl", "version": musl}
    out["libraries"] = libs
    out["provenance"] = prov_table
    return out


# ---------------------------------------------------------------------------------------------------------
# Runtimes


LAMBDA = {
    # python: (base, glibc refs, arm64 confidence, deprecation note)
    "3.9": ("amazonlinux-2", ["A3"], D), "3.10": ("amazonlinux-2", ["A3"], D),
    "3.11": ("amazonlinux-2", ["A3"], D), "3.12": ("amazonlinux-2023", ["A3", "A7"], D),
    "3.13": ("amazonlinux-2023", ["A1", "A3"], I), "3.14": ("amazonlinux-2023", ["A2", "A8", "A16"], I),
}
LAMBDA_PATHS = ["/var/lang/lib", "/lib64", "/usr/lib64", "/var/runtime", "/var/runtime/lib", "/var/task",
                "/var/task/lib", "/opt/lib"]
#: where Lambda unpacks what is deployed: function code in /var/task, layers under /opt (docs/runtimes.md#aws-lambda), so a
#: deploy zip's lib/ is /var/task/lib (or /opt/lib for a layer), both on LAMBDA_PATHS.
LAMBDA_ROOTS = ["/var/task", "/opt"]


def lambda_profile(py: str, arch: str) -> dict[str, Any]:
    base, refs, arm_conf = LAMBDA[py]
    aws_arch = "arm64" if arch == "aarch64" else "x86_64"
    libs: dict[str, Any] = {}
    if base == "amazonlinux-2023":
        libs["libssl.so.3"] = lib(D if py == "3.12" else I, ["A13"], "private copy in /var/lang/lib plus "
                                  "openssl-libs 3.0.8 in /lib64", versions=openssl("3")["libssl.so.3"],
                                  path="/var/lang/lib/libssl.so.3")
    else:
        if py in ("3.10", "3.11"):
            for name, nodes in openssl("1.1").items():
                libs[name] = lib(I, ["A11"], "the runtime's ssl module uses OpenSSL 1.1.1 (D); the soname and "
                                 "location are not established (I)", versions=nodes)
        if py == "3.11":
            libs["libffi.so.6"] = lib(D, ["A9"], "functions relied on it: the 2023-12-05 image without it broke "
                                      "(aws-lambda-base-images#127)", versions=[])
    out: dict[str, Any] = {
        "id": f"aws-lambda-python{py}-{aws_arch}",
        "title": f"AWS Lambda python{py} ({aws_arch})",
        "kind": "runtime",
        "extends": base + ARCH_SUFFIX[arch],
    }
    prov_table: dict[str, Any] = {
        "arch": prov(D if arch == "x86_64" else arm_conf, ["A1", "A2"]),
        "libc": prov(D, refs + ["A12"], "runtime OS glibc"),
        "library_paths": prov(V if py in ("3.9", "3.10", "3.11", "3.12") else I, ["A9"],
                              "LD_LIBRARY_PATH of the python3.8–3.12 Dockerfiles; /opt/lib = layers"),
        "artifact_roots": prov(D, ["A4", "A9"], "function code in /var/task, layers under /opt"),
        "limits": prov(D, ["A4"], "250 MB unzipped incl. layers; 50 MB zipped for direct upload"),
        "os": prov(D, ["A3"]),
    }
    if arch == "aarch64":
        prov_table["page_size"] = prov(I, [], "Graviton Lambda uses 4 KiB pages (not documented)")
    out["library_paths"] = LAMBDA_PATHS
    out["artifact_roots"] = LAMBDA_ROOTS
    out["limits"] = {"max_unzipped_bytes": 262144000, "max_zipped_bytes": 52428800}
    if libs:
        out["libraries"] = libs
    out["python"] = [{"version": py, "executable": f"/var/lang/bin/python{py}", "confidence": D,
                      "sources": ["A1", "A3"], "note": "shared_libpython not established"}]
    out["provenance"] = prov_table
    return out


AZURE = {
    "3.9": ("debian-11", V), "3.10": ("debian-11", V), "3.11": ("debian-11", V),
    "3.12": ("debian-12", V), "3.13": ("debian-12", V),
}


def azure_profile(py: str) -> dict[str, Any]:
    base, conf = AZURE[py]
    return {
        "id": f"azure-functions-python{py}",
        "title": f"Azure Functions Python {py} (Linux, host v4)",
        "kind": "runtime",
        "extends": base,
        "library_paths": ["/usr/local/lib", *base_paths("debian", "x86_64")],
        "python": [{"version": py, "executable": f"/usr/local/bin/python{py}", "confidence": conf,
                    "sources": ["Z1"], "note": "python:3.x-slim / oryx images install CPython under /usr/local"}],
        "provenance": {
            "arch": prov(D, ["Z1"], "images are linux-x64 only; no Linux arm64 Python worker"),
            "libc": prov(V, ["Z1", "Z2"], "bullseye (glibc 2.31) for <= 3.11, bookworm (2.36) for 3.12+"),
            "library_paths": prov(I, ["DP"], "/usr/local/lib holds the image's libpython"),
            "os": prov(V, ["Z1"]),
        },
    }


GOOGLE = {
    "google-22": ("ubuntu-22.04", ["3.13", "3.12", "3.11", "3.10"], "Ubuntu 22.04"),
    "google-24": ("ubuntu-24.04", ["3.14"], "Ubuntu 24.04"),
}


def google_profile(stack: str) -> dict[str, Any]:
    base, pys, osname = GOOGLE[stack]
    return {
        "id": stack,
        "title": f"Google Cloud Run / Functions buildpack stack {stack} ({osname})",
        "kind": "runtime",
        "extends": base,
        "python": [{"version": v, "confidence": V if v == pys[0] else D, "sources": ["G1", "G5"],
                    "note": "default Python of the stack" if v == pys[0] else "supported on this stack"}
                   for v in pys],
        "provenance": {
            "arch": prov(D, ["G3"], "Cloud Run supports the Linux x86_64 ABI only"),
            "libc": prov(D, ["G2"]),
            "os": prov(V, ["G5"]),
        },
    }


def heroku_profile(stack: str, arch: str) -> dict[str, Any]:
    base = {"heroku-22": "ubuntu-22.04", "heroku-24": "ubuntu-24.04"}[stack]
    return {
        "id": stack + ARCH_SUFFIX[arch],
        "title": f"Heroku {stack} stack ({arch})",
        "kind": "runtime",
        "extends": base + ARCH_SUFFIX[arch],
        "limits": {"max_zipped_bytes": 524288000},
        "provenance": {
            "arch": prov(V, ["H1"]),
            "libc": prov(D, ["H1"]),
            "limits": prov(D, ["H2"], "slug size 500 MB compressed"),
            "os": prov(V, ["H1"]),
        },
    }


# ---------------------------------------------------------------------------------------------------------
# Policies (docs/runtimes.md#manylinux-and-musllinux-policies, auditwheel policy JSON)


WHITELIST_2_5 = ["libgcc_s.so.1", "libstdc++.so.6", "libm.so.6", "libdl.so.2", "librt.so.1", "libc.so.6",
                 "libnsl.so.1", "libutil.so.1", "libpthread.so.0", "libresolv.so.2", "libX11.so.6", "libXext.so.6",
                 "libXrender.so.1", "libICE.so.6", "libSM.so.6", "libGL.so.1", "libgobject-2.0.so.0",
                 "libgthread-2.0.so.0", "libglib-2.0.so.0", "libz.so.1", "libatomic.so.1", "libanl.so.1"]
GLIBC_WHITELISTED = {"libc.so.6", "libm.so.6", "libdl.so.2", "librt.so.1", "libutil.so.1", "libpthread.so.0",
                     "libresolv.so.2", "libnsl.so.1", "libanl.so.1", "libmvec.so.1"}
POLICY_NOTE = ("Libraries: the policy's lib_whitelist (auditwheel policy JSON) plus the dynamic loader, "
               "which every target has and wheels may name in DT_NEEDED; nothing else a real system installs.")

POLICIES = {
    # name: (glibc x86_64, glibc aarch64 ceiling, GLIBCXX, CXXABI, GCC x86_64, GCC aarch64, ZLIB, alias)
    "manylinux2014": ("2.17", "2.18", "3.4.19", "1.3.7", "4.8.0", "4.7.0", "1.2.5.2", "manylinux_2_17"),
    "manylinux_2_28": ("2.28", "2.28", "3.4.24", "1.3.11", "7.0.0", "7.0.0", "1.2.9", None),
    "manylinux_2_31": ("2.31", "2.31", "3.4.28", "1.3.12", "7.0.0", "7.0.0", "1.2.9", None),
    "manylinux_2_34": ("2.34", "2.34", "3.4.29", "1.3.13", "7.0.0", "11.0", "1.2.9", None),
    "manylinux_2_35": ("2.35", "2.35", "3.4.30", "1.3.13", "12.0.0", "11.0", "1.2.9", None),
    "manylinux_2_39": ("2.39", "2.39", "3.4.33", "1.3.15", "14.0.0", "14.0.0", "1.2.12", None),
}


def policy_profile(name: str, arch: str) -> dict[str, Any]:
    glibc, glibc_arm, glibcxx, cxxabi, gcc_x, gcc_a, zlib, alias = POLICIES[name]
    tag_name = alias or name
    tag = f"{tag_name}_{arch}"
    whitelist = list(WHITELIST_2_5) + ["libexpat.so.1"]
    if name != "manylinux2014":
        whitelist.append("libmvec.so.1")
    ceiling = glibc_arm if arch == "aarch64" else glibc
    libs: dict[str, Any] = {}
    loader = GLIBC_LOADERS[arch]
    libs[loader] = lib(V, ["AW", "GA"], f"the dynamic loader: not in the whitelist, but every target has it; "
                       f"GLIBC ceiling {ceiling}", derive=f"glibc {ceiling}")
    for soname in sorted(whitelist):
        if soname in GLIBC_WHITELISTED:
            if glibc_has_library(arch, soname, release(ceiling)):
                entry = lib(V, ["AW", "GS"], f"GLIBC ceiling {ceiling}", derive=f"glibc {ceiling}")
            else:
                entry = lib(V, ["AW"], f"whitelisted, but glibc {ceiling} has no {soname} on {arch} (aarch64 "
                            "libmvec starts with 2.38)", versions=[])
        elif soname == "libstdc++.so.6":
            markers = ["CXXABI_TM_1"] + (["CXXABI_FLOAT128"] if arch == "x86_64" else [])
            entry = lib(V, ["AW"], "GLIBCXX/CXXABI ceilings",
                        max_versions=[f"GLIBCXX_{glibcxx}", f"CXXABI_{cxxabi}", *markers])
        elif soname == "libgcc_s.so.1":
            entry = lib(V, ["AW"], "GCC ceiling", max_versions=[f"GCC_{gcc_a if arch == 'aarch64' else gcc_x}"])
        elif soname == "libz.so.1":
            entry = lib(V, ["AW"], "ZLIB ceiling", max_versions=[f"ZLIB_{zlib}"])
        else:
            entry = lib(V, ["AW"], "whitelisted; the policy sets no version ceiling", versions=[])
        libs[soname] = entry
    title = f"{tag_name} policy ({arch})" + (" = manylinux2014" if alias else "")
    return {
        "id": f"{name}_{arch}",
        "title": title,
        "description": POLICY_NOTE,
        "kind": "policy",
        "arch": arch,
        "page_size": 4096,
        "refuses_exec_stack": False,
        "policy_tag": tag,
        "libc": {"family": "glibc", "version": glibc},
        "libraries": libs,
        "provenance": {
            "arch": prov(V, ["AW"]),
            "libc": prov(V, ["AW", "MR"], f"the tag's glibc; highest allowed GLIBC node {ceiling}"),
            "page_size": prov(I, [], "policies say nothing about page size; 4 KiB assumed"),
            "refuses_exec_stack": prov(V, ["AW"], "auditwheel has no exec-stack check (docs/loader.md#executable-stack)"),
        },
    }


def musllinux_profile(arch: str) -> dict[str, Any]:
    return {
        "id": f"musllinux_1_2_{arch}",
        "title": f"musllinux_1_2 policy ({arch})",
        "description": POLICY_NOTE,
        "kind": "policy",
        "arch": arch,
        "page_size": 4096,
        "policy_tag": f"musllinux_1_2_{arch}",
        "libc": {"family": "musl", "version": "1.2"},
        "libraries": {
            "libc.so": lib(V, ["AW"], "musl: no symbol versions", versions=[]),
            f"{musl_loader(arch)}": lib(V, ["AW"], "musl's dynamic loader (its C library): every target "
                                        "has it", versions=[]),
            f"{alpine_libc_alias(arch)}": lib(V, ["AW"], "Alpine's file name for musl's libc.so",
                                              versions=[]),
            "libz.so.1": lib(V, ["AW"], "whitelisted without a ceiling", versions=[]),
        },
        "provenance": {
            "arch": prov(V, ["AW"]),
            "libc": prov(V, ["AW", "MR"], "musl >= 1.2; images are Alpine 3.22 based, 3.13+ compatible"),
            "page_size": prov(I, [], "4 KiB assumed"),
        },
    }


# ---------------------------------------------------------------------------------------------------------


def with_sources(data: dict[str, Any]) -> dict[str, Any]:
    """Attach a [sources] table holding exactly the ids the profile cites."""
    cited: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            refs = value.get("sources")
            if isinstance(refs, list):
                cited.update(refs)
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(data)
    if any(str(v.get("derive", "")).startswith("glibc") for v in data.get("libraries", {}).values()):
        cited.add("GA")
    out = dict(data)
    prov_table = out.pop("provenance", None)
    natural = sorted(cited, key=lambda k: (k.rstrip("0123456789"), int("0" + k[len(k.rstrip("0123456789")):])))
    out["sources"] = {k: {"url": SOURCES[k][0], "title": SOURCES[k][1]} for k in natural}
    if prov_table:
        out["provenance"] = prov_table
    return out


def all_profiles() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for spec in OS_BASES:
        for arch in ("x86_64", "aarch64"):
            out.append(os_profile(spec, arch))
    for row in ALPINE:
        for arch in ("x86_64", "aarch64"):
            out.append(alpine_profile(*row, arch))
    for py in LAMBDA:
        for arch in ("x86_64", "aarch64"):
            out.append(lambda_profile(py, arch))
    for py in AZURE:
        out.append(azure_profile(py))
    for stack in GOOGLE:
        out.append(google_profile(stack))
    out += [heroku_profile("heroku-22", "x86_64"), heroku_profile("heroku-24", "x86_64"),
            heroku_profile("heroku-24", "aarch64")]
    for name in POLICIES:
        for arch in ("x86_64", "aarch64"):
            out.append(policy_profile(name, arch))
    for arch in ("x86_64", "aarch64"):
        out.append(musllinux_profile(arch))
    return [with_sources(p) for p in out]


HEADER = ("# Built-in abigate profile. GENERATED by scripts/gen_profiles.py (facts and sources: docs/runtimes.md);\n"
          "# edit the script, not this file. Confidence: verified (read in the real files), documented (vendor\n"
          "# docs), inferred (derived; confirm by scanning the real image), unknown.\n")


def render(data: dict[str, Any]) -> str:
    return HEADER + "schema = 1\n" + dumps_toml(data)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a committed file differs")
    args = parser.parse_args(argv)
    wanted = {p["id"]: render(p) for p in all_profiles()}
    existing = {n[:-5] for n in os.listdir(OUT_DIR) if n.endswith(".toml")}
    stale = sorted(existing - set(wanted))
    differ = []
    for pid, text in wanted.items():
        path = os.path.join(OUT_DIR, f"{pid}.toml")
        old = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if old != text:
            differ.append(pid)
            if not args.check:
                with open(path, "w", encoding="utf-8") as fh:
                    fh.write(text)
    if args.check:
        for pid in differ + stale:
            print(f"out of date: {pid}")
        return 1 if differ or stale else 0
    for pid in stale:
        os.remove(os.path.join(OUT_DIR, f"{pid}.toml"))
    print(f"{len(wanted)} profiles, {len(differ)} written, {len(stale)} removed")
    # The index of every built-in's facts ("satisfied by" hints, `profile list`) follows the TOML files.
    return subprocess.run([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                        "gen_profile_index.py")], check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
