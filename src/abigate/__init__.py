"""abigate: stop native binaries that the target runtime cannot load, before they are deployed.

Public API (stable within a major version)::

    from abigate import scan_path, ArtifactFacts
    facts = scan_path("dist/pkg-1.0-cp312-cp312-manylinux_2_17_x86_64.whl")

The modules are layered: artifact readers (``archive``, ``elf``, ``native``, ``scan``) produce frozen facts
(``facts``); a runtime description (``profile``, ``profiles``) says what a target provides; ``rules`` and
``evaluate`` turn the two into findings; ``reporters`` render them; ``cli`` is the only place with exit codes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0.dev0"

__all__ = ["__version__", "scan_path", "scan_paths"]

if TYPE_CHECKING:  # pragma: no cover
    from abigate.scan import scan_path, scan_paths


def __getattr__(name: str) -> Any:
    # Imported lazily so that `import abigate` (and the CLI's start-up) stays cheap.
    if name in ("scan_path", "scan_paths"):
        from abigate import scan

        return getattr(scan, name)
    raise AttributeError(f"module 'abigate' has no attribute {name!r}")
