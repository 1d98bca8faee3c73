"""How ``scan``/``check`` read a container image: the options, apart from the reader (:mod:`abigate.image`).

Every run builds these options, but only a run given an image needs the reader, whose imports (``tarfile``,
``hashlib``, ``json``, ``tempfile``) cost ~9 ms; kept here, a wheel check never imports it.
"""

from __future__ import annotations

from abigate._records import Record

__all__ = ["ImageOptions"]


class ImageOptions(Record):
    """How a container image given to ``scan``/``check`` is read."""

    #: pick the image of a multi-platform index for this architecture (abigate's name, e.g. ``aarch64``);
    #: ``None``: ``linux/amd64``, else the first.
    arch: str | None = None
    #: judge every image of the index (each becomes a nested artifact).
    all_platforms: bool = False
    #: judge only the layers above the image's base (:func:`abigate.image.base_layer_count`):
    #: ``--profile image``.
    runtime_split: bool = False
