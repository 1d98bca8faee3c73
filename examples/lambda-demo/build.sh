#!/bin/sh
# Rebuild the example extension (committed so that the README's command works without a compiler).
# Built on Debian 12 (gcc 12, glibc 2.36) with CPython 3.11 headers; any glibc >= 2.34 gives the same requirements.
set -eu
cd "$(dirname "$0")"
gcc -shared -fPIC -O2 -g0 -Wl,--build-id=none -Wl,-z,noexecstack $(python3.11-config --includes 2>/dev/null || python3-config --includes) \
    src/_demo.c -o function/demo/_demo.cpython-311-x86_64-linux-gnu.so -lm
strip --strip-unneeded function/demo/_demo.cpython-311-x86_64-linux-gnu.so
# The deploy zip, as `zip -r` from inside function/ would make it, with fixed timestamps so that it is
# byte-for-byte reproducible.
python3 - <<'PY'
import os, zipfile
with zipfile.ZipFile("function.zip", "w", zipfile.ZIP_DEFLATED) as zf:
    for root, dirs, files in sorted(os.walk("function")):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            info = zipfile.ZipInfo(os.path.relpath(path, "function"), date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = (0o100755 if name.endswith(".so") else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as fh:
                zf.writestr(info, fh.read())
PY
