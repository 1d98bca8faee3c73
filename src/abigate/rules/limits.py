"""ABG5xx — platform limits the profile states (deployment package size)."""

from __future__ import annotations

from collections.abc import Iterator

from abigate.rules._base import Context, Severity, Violation, rule

__all__ = ["unzipped_size"]


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


@rule("ABG501", "unzipped-size-limit", severity=Severity.WARNING, scope="artifact")
def unzipped_size(ctx: Context) -> Iterator[Violation]:
    """The artifact's unpacked size is above the limit the target platform states.

    What it checks:
    The total uncompressed size of the artifact's members (nested archives counted as stored) against the
    profile's ``limits.max_unzipped_bytes``. Only top-level artifacts; a warning by default because layers
    and images change the budget (raise it to an error with ``[tool.abigate] severity``).

    Why it matters:
    AWS Lambda rejects the deployment: ``Unzipped size must be smaller than 262144000 bytes`` (250 MB for
    function code plus layers).

    Example:
    ``function.zip: ABG501 unpacks to 301.2 MB; aws-lambda-python3.12 allows 262.1 MB``

    How to fix:
    Remove what the function does not need (tests, ``__pycache__``, debug symbols: ``strip``), move large
    dependencies to a container image, or split them into layers.

    References:
    AWS Lambda quotas (deployment package size); runtimes.md §2.
    """
    limit = ctx.profile.limits.max_unzipped_bytes
    if limit is None or ctx.artifact is not ctx.root or ctx.artifact.total_size <= limit:
        return
    yield Violation(
        message=f"unpacks to {_mb(ctx.artifact.total_size)} ({ctx.artifact.total_size} bytes); {ctx.profile.id} "
        f"allows {_mb(limit)} ({limit} bytes)",
        hint="strip binaries and drop files the function does not need, or move to a container image",
        path=ctx.artifact.path,
        member="",
    )
