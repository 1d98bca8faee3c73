#!/bin/sh
# Rebuild the example extension (committed so that the README's command works without a compiler).
# Built on Debian 12 (gcc 12, glibc 2.36) with CPython 3.11 headers; any glibc >= 2.34 gives the same requirements.
set -eu
cd "$(dirname "$0")"
gcc -shared -fPIC -O2 -g0 -Wl,--build-id=none -Wl,-z,noexecstack $(python3.11-config --includes 2>/dev/null || python3-config --includes) \
    src/_demo.c -o function/demo/_demo.cpython-311-x86_64-linux-gnu.so -lm
strip --strip-unneeded function/demo/_demo.cpython-311-x86_64-linux-gnu.so
