"""ABG5xx — platform limits the profile states (deployment package size)."""

from __future__ import annotations

from collections.abc import Iterator

from abigate.rules._base import Context, Severity, Violation, rule

__all__ = ["unzipped_size", "zipped_size"]

#: what the platforms' package limits are about: a deployment zip (a wheel is one too), or the folder it is
#: made from. A tar, an sdist, a conda package or a container image is not uploaded as a zip package, and
#: images have limits of their own (AWS Lambda: 10 GB uncompressed), which profiles do not state yet.
_PACKAGE_KINDS = ("wheel", "zip", "directory")


def _mb(n: int) -> str:
    """Bytes in MiB: the platforms' "50 MB" and "250 MB" are 52,428,800 and 262,144,000 bytes (binary megabytes)."""
    return f"{n / (1 << 20):.1f} MiB"


@rule("ABG501", "unzipped-size-limit", severity=Severity.WARNING, scope="artifact")
def unzipped_size(ctx: Context) -> Iterator[Violation]:
    """The artifact's unpacked size is above the limit the target platform states.

    What it checks:
    The total uncompressed size of the artifact's members (nested archives counted as stored) against the
    profile's ``limits.max_unzipped_bytes``. Only top-level wheels, zips and folders (a deployment package or
    the folder it is made from; a container image has limits of its own); a warning by default because layers
    change the budget (raise it to an error with ``[tool.abigate] severity``).

    Why it matters:
    AWS Lambda rejects the deployment: ``Unzipped size must be smaller than 262144000 bytes`` (250 MB for
    function code plus layers).

    Example:
    ``function.zip: ABG501 unpacks to 301.2 MiB (315827814 bytes); aws-lambda-python3.12-arm64 allows 250.0 MiB
    (262144000 bytes)``

    How to fix:
    Remove what the function does not need (tests, ``__pycache__``, debug symbols: ``strip``), move large
    dependencies to a container image, or split them into layers.

    References:
    AWS Lambda quotas (deployment package size); docs/runtimes.md#aws-lambda.
    """
    limit = ctx.profile.limits.max_unzipped_bytes
    if limit is None or ctx.artifact is not ctx.root or ctx.artifact.total_size <= limit:
        return
    if ctx.artifact.kind not in _PACKAGE_KINDS:
        return
    yield Violation(
        message=f"unpacks to {_mb(ctx.artifact.total_size)} ({ctx.artifact.total_size} bytes); {ctx.profile.id} "
        f"allows {_mb(limit)} ({limit} bytes)",
        hint="strip binaries and drop files the function does not need, or move to a container image",
        path=ctx.artifact.path,
        member="",
    )


@rule("ABG502", "zipped-size-limit", severity=Severity.WARNING, scope="artifact")
def zipped_size(ctx: Context) -> Iterator[Violation]:
    """The archive itself is larger than the upload limit the target platform states.

    What it checks:
    The size of the wheel or zip file as given (its bytes on disk, compression included) against the
    profile's ``limits.max_zipped_bytes``. Only top-level wheels and zips: a folder or a single file has no
    zipped size, a nested archive is uploaded as part of its container, and a tar, an sdist, a conda package
    or a container image is not uploaded as a zip package. A warning by default because the limit
    applies to one way of deploying only (raise it to an error with ``[tool.abigate] severity``).

    Why it matters:
    AWS Lambda refuses a zip over 50 MB (52,428,800 bytes) sent directly: from the console, or in the
    ``CreateFunction``/``UpdateFunctionCode`` request itself (``aws lambda update-function-code --zip-file``,
    and the deploy tools that do the same). The deploy stops with ``RequestEntityTooLargeException: Request
    must be smaller than 69905067 bytes for the UpdateFunctionCode operation`` (50 MB once base64-encoded).

    Example:
    ``function.zip: ABG502 is 58.5 MiB zipped (61345678 bytes); aws-lambda-python3.12-arm64 allows 50.0 MiB
    (52428800 bytes)``

    How to fix:
    Upload the package to S3 and deploy it from there (the limit is for direct uploads; the unzipped
    limit, ABG501, still applies), strip debug symbols from native libraries (``strip``), drop tests and
    ``__pycache__``, or move large dependencies to a layer or a container image.

    References:
    AWS Lambda quotas, deployment package size (docs/runtimes.md#aws-lambda, source A4); the error as users
    meet it: serverless/serverless#10179.
    """
    limit = ctx.profile.limits.max_zipped_bytes
    size = ctx.artifact.zipped_size
    if limit is None or size is None or ctx.artifact is not ctx.root or size <= limit:
        return
    if ctx.artifact.kind not in _PACKAGE_KINDS:
        return
    yield Violation(
        message=f"is {_mb(size)} zipped ({size} bytes); {ctx.profile.id} allows {_mb(limit)} ({limit} bytes)",
        hint="deploy the package from S3 instead of uploading it directly, or strip binaries and drop files "
        "the function does not need",
        path=ctx.artifact.path,
        member="",
    )
