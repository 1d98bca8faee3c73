"""Example package for abigate's README: a native module built on a newer glibc than its target."""

from demo._demo import probe

__all__ = ["probe"]
