"""The model under evaluation, asked exactly as the export taught it: the export's system
prompt, the page images, then the key-listing prompt; the answer is free text that should be
one JSON object. Bedrock Converse (a model id or a custom model deployment ARN) or any
OpenAI-compatible endpoint."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from curator.teach.base import TeacherError
from curator.teach.bedrock import converse, image_blocks, runtime_client
from curator.teach.openai_compat import check_status, image_parts


@dataclass
class ModelAnswer:
    text: str
    input_tokens: int = 0
    output_tokens: int = 0


class BedrockChat:
    def __init__(self, model: str, client: Any | None = None, max_tokens: int = 4096) -> None:
        self.name, self.model, self.max_tokens, self._client = f"bedrock:{model}", model, max_tokens, client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = runtime_client()
        return self._client

    def answer(self, pages: Sequence[Path], system: str, prompt: str) -> ModelAnswer:
        response = converse(self.client, {
            "modelId": self.model, "system": [{"text": system}],
            "messages": [{"role": "user", "content": image_blocks(pages) + [{"text": prompt}]}],
            "inferenceConfig": {"temperature": 0.0, "maxTokens": self.max_tokens}})
        blocks = response.get("output", {}).get("message", {}).get("content", [])
        usage = response.get("usage", {})
        return ModelAnswer(" ".join(b.get("text", "") for b in blocks), usage.get("inputTokens", 0),
                           usage.get("outputTokens", 0))


class OpenAIChat:
    def __init__(self, url: str, model: str, api_key: str | None = None, timeout: float = 300.0,
                 json_schema: dict[str, Any] | None = None) -> None:
        self.name, self.url, self.model, self.api_key, self.timeout = f"openai:{url}#{model}", url.rstrip("/"), \
            model, api_key, timeout
        self.json_schema = json_schema  # ask for output constrained to it (vLLM, SGLang, OpenAI)

    def answer(self, pages: Sequence[Path], system: str, prompt: str) -> ModelAnswer:
        content = image_parts(pages) + [{"type": "text", "text": prompt}]
        body = {"model": self.model, "temperature": 0,
                "messages": [{"role": "system", "content": system}, {"role": "user", "content": content}]}
        if self.json_schema is not None:
            body["response_format"] = {"type": "json_schema",
                                       "json_schema": {"name": "answer", "schema": self.json_schema}}
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        try:
            response = requests.post(f"{self.url}/chat/completions", json=body, headers=headers, timeout=self.timeout)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TeacherError("unreachable", f"cannot reach {self.url}: {exc}") from exc
        check_status(response, self.url)
        try:
            data = response.json()
            usage = data.get("usage", {})
            return ModelAnswer(str(data["choices"][0]["message"]["content"]), usage.get("prompt_tokens", 0),
                               usage.get("completion_tokens", 0))
        except (ValueError, KeyError, IndexError) as exc:
            raise TeacherError("invalid", f"not an OpenAI chat answer: {exc}") from exc


def make_model(spec: str, json_schema: dict[str, Any] | None = None) -> BedrockChat | OpenAIChat:
    """A model to evaluate from its spec: ``bedrock:<model id>`` or ``openai:<url>#<model>``."""
    import os

    kind, _, rest = spec.partition(":")
    if kind == "bedrock" and rest:
        return BedrockChat(rest)
    if kind == "openai" and "#" in rest:
        url, _, model = rest.rpartition("#")
        return OpenAIChat(url, model, api_key=os.environ.get("OPENAI_API_KEY"), json_schema=json_schema)
    raise ValueError(f"--model must be bedrock:<model id or deployment ARN>, openai:<url>#<model> or "
                     f"predictions:<file.jsonl>, got {spec!r}")
