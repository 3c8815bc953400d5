"""AWS refusals as messages a person can act on (missing role, quota, throttling, ...)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from curator.finetune.jobs import FinetuneError

HINTS = {
    "AccessDeniedException": "the credentials or the service role lack a permission",
    "ValidationException": "the request was refused as invalid",
    "ServiceQuotaExceededException": "an account quota is reached (jobs or deployments at once): wait for one "
                                     "to finish or ask AWS for a higher quota",
    "ThrottlingException": "too many requests: try again in a minute",
    "ResourceNotFoundException": "it does not exist (any more)",
    "ResourceInUseException": "the name is taken by an earlier job or model",
    "ConflictException": "the name is taken by an earlier job or model",
    "ResourceLimitExceeded": "an account quota is reached: wait or ask AWS for a higher quota",
}


def explain(action: str, exc: Exception) -> FinetuneError:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code, message = error.get("Code", ""), error.get("Message", "")
        hint = HINTS.get(code, "")
        if "role" in message.lower() and code in ("ValidationException", "AccessDeniedException"):
            hint = "check --role-arn: the role must exist and trust the service (bedrock.amazonaws.com or " \
                   "sagemaker.amazonaws.com), and read the dataset bucket"
        return FinetuneError(f"{action}: AWS said {code}: {message}" + (f" ({hint})" if hint else ""))
    if isinstance(exc, NoCredentialsError):
        return FinetuneError(f"{action}: no AWS credentials on this machine (aws configure, or AWS_PROFILE)")
    if isinstance(exc, NoRegionError):
        return FinetuneError(f"{action}: no AWS region (AWS_DEFAULT_REGION or [finetune] region)")
    if isinstance(exc, BotoCoreError):
        return FinetuneError(f"{action}: {exc}")
    return FinetuneError(f"{action}: {exc}")


@contextmanager
def aws_step(action: str) -> Iterator[None]:
    """Run AWS calls; any failure becomes one FinetuneError that says what was being done."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - every failure is reported the same way
        raise explain(action, exc) from None
