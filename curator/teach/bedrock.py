"""Amazon Bedrock Converse as the teacher (default: Nova Premier).

Page images as image blocks, media first then text, the wanted fields as a tool's
``inputSchema`` with ``toolChoice`` forcing that tool (Nova decodes under the schema),
temperature 0. Token usage comes back with every answer and is recorded for cost.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from curator.teach.base import TeacherAnswer, TeacherError
from curator.teach.prompt import page_bytes

TOOL = "emit_fields"
THROTTLED = {"ThrottlingException", "ServiceQuotaExceededException", "TooManyRequestsException"}
SERVER = {"InternalServerException", "ServiceUnavailableException", "ModelTimeoutException",
          "ModelNotReadyException", "ModelErrorException"}


SYSTEM = "You read business documents and report their fields through the tool."


def tool_config(schema: Mapping[str, Any]) -> dict[str, Any]:
    """One tool whose input is the wanted fields, and the choice forcing it."""
    return {
        "tools": [{"toolSpec": {"name": TOOL, "description": "Report the fields read from the document.",
                                "inputSchema": {"json": dict(schema)}}}],
        "toolChoice": {"tool": {"name": TOOL}},
    }


def runtime_client(max_attempts: int = 6) -> Any:
    """A bedrock-runtime client that retries throttling and server errors itself, in botocore's
    ``adaptive`` mode: exponential back-off with jitter plus a client-side rate limiter that
    slows every worker thread sharing the client once Bedrock throttles -- what a pool of
    workers needs and our own loop could not do. A short connect timeout keeps an endpoint that
    is down quick to notice (the run's circuit breaker stops after a few such documents)."""
    import boto3
    from botocore.config import Config

    return boto3.client("bedrock-runtime", config=Config(retries={"mode": "adaptive", "max_attempts": max_attempts},
                                                         connect_timeout=10, read_timeout=300))


def _sent(response: Mapping[str, Any]) -> int:
    """How many requests botocore sent for this answer or error (its retries included)."""
    return 1 + int(response.get("ResponseMetadata", {}).get("RetryAttempts", 0) or 0)


def image_blocks(pages: Sequence[Path]) -> list[dict[str, Any]]:
    """Page images as Converse image blocks, within the request limits."""
    return [{"image": {"format": "png", "source": {"bytes": page_bytes(p)}}} for p in pages]


def converse(client: Any, request: dict[str, Any]) -> dict[str, Any]:
    """``client.converse`` with Bedrock's refusals as TeacherErrors (throttled, server, refused)."""
    try:
        return client.converse(**request)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        message = exc.response.get("Error", {}).get("Message", str(exc))
        kind = "throttled" if code in THROTTLED else "server" if code in SERVER else "refused"
        raise TeacherError(kind, f"Bedrock {code}: {message}", attempts=_sent(exc.response)) from exc
    except (EndpointConnectionError, ReadTimeoutError) as exc:
        raise TeacherError("unreachable", f"cannot reach Bedrock: {exc}") from exc


class BedrockConverseTeacher:
    def __init__(self, model: str = "us.amazon.nova-premier-v1:0", client: Any | None = None,
                 max_tokens: int = 4096) -> None:
        self.model = model
        self.max_tokens = max_tokens
        self._client = client
        self._max_attempts = 6

    def use_sdk_retries(self, max_attempts: int, backoff: float) -> bool:
        """Let botocore retry (adaptive mode) -- unless a client was handed in: its
        configuration is its caller's, and then ``ask_with_retries`` retries."""
        if self._client is not None:
            return False
        self._max_attempts = max_attempts
        return True

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = runtime_client(self._max_attempts)
        return self._client

    def request(self, pages: Sequence[Path], schema: Mapping[str, Any], instruction: str) -> dict[str, Any]:
        content = image_blocks(pages) + [{"text": instruction}]
        return {
            "modelId": self.model,
            "messages": [{"role": "user", "content": content}],
            "system": [{"text": SYSTEM}],
            "toolConfig": tool_config(schema),
            "inferenceConfig": {"temperature": 0.0, "maxTokens": self.max_tokens},
        }

    def extract(self, pages: Sequence[Path], schema: Mapping[str, Any], known: Mapping[str, Any],
                instruction: str) -> TeacherAnswer:
        response = converse(self.client, self.request(pages, schema, instruction))
        answer = answer_from_response(response)
        answer.attempts = _sent(response)
        return answer


def answer_from_response(response: dict[str, Any]) -> TeacherAnswer:
    """The tool call's input from a Converse answer (or a Nova batch ``modelOutput``, same shape)."""
    usage = response.get("usage", {})
    blocks = response.get("output", {}).get("message", {}).get("content", [])
    raw = json.dumps(blocks, ensure_ascii=False, default=str)[:20000]
    tokens = {"input_tokens": usage.get("inputTokens", 0), "output_tokens": usage.get("outputTokens", 0)}
    for block in blocks:
        if "toolUse" in block and isinstance(block["toolUse"].get("input"), dict):
            return TeacherAnswer(values=block["toolUse"]["input"], raw=raw, **tokens)
    text = " ".join(b.get("text", "") for b in blocks)
    try:
        values = json.loads(text)
        if isinstance(values, dict):
            return TeacherAnswer(values=values, raw=raw, **tokens)
    except json.JSONDecodeError:
        pass
    raise TeacherError("invalid", "the answer has no tool call and is not a JSON object", raw=raw)
