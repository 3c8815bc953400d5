"""Any OpenAI-compatible chat endpoint as the teacher (vLLM serving Qwen2.5-VL, ...).

Asks for JSON-schema constrained output (``response_format: json_schema``); a server that
does not support it is asked again with ``json_object``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import requests

from curator.teach.base import TeacherAnswer, TeacherError
from curator.teach.prompt import page_bytes


def image_parts(pages: Sequence[Path]) -> list[dict[str, Any]]:
    """Page images as chat ``image_url`` parts (data URLs), within the request limits."""
    return [{"type": "image_url", "image_url": {"url": "data:image/png;base64," + base64.b64encode(
        page_bytes(p)).decode()}} for p in pages]


def check_status(response: requests.Response, url: str) -> None:
    """An endpoint's refusal as a TeacherError: 429 throttled, 5xx server, other 4xx refused."""
    if response.status_code == 429:
        raise TeacherError("throttled", f"HTTP 429 from {url}")
    if response.status_code >= 500:
        raise TeacherError("server", f"HTTP {response.status_code} from {url}")
    if response.status_code >= 400:
        raise TeacherError("refused", f"HTTP {response.status_code} from {url}: {response.text[:200]}")


def _sent(response: requests.Response) -> int:
    """Requests urllib3 sent for this response (its retries included)."""
    retries = getattr(response.raw, "retries", None)
    return 1 + len(retries.history) if retries is not None else 1


class OpenAICompatibleTeacher:
    def __init__(self, url: str, model: str, api_key: str | None = None, timeout: float = 300.0) -> None:
        self.url = url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.timeout = timeout
        self.schema_mode = True  # falls back to json_object once a server refuses json_schema
        self._http = requests.Session()

    def use_sdk_retries(self, max_attempts: int, backoff: float) -> bool:
        """Retry 429 and 5xx answers in urllib3 (``Retry`` under requests): exponential back-off,
        the server's ``Retry-After`` honoured, POST included (asking again is safe: the answer is
        only stored once it arrives). A refused connection is tried twice, not ``max_attempts``
        times: a server that is down is reported quickly."""
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        retry = Retry(total=max_attempts - 1, connect=1, read=0, status=max_attempts - 1, other=0,
                      status_forcelist=(429, 500, 502, 503, 504), allowed_methods=None, backoff_factor=backoff,
                      backoff_jitter=backoff, respect_retry_after_header=True, raise_on_status=False)
        adapter = HTTPAdapter(max_retries=retry)
        self._http.mount("http://", adapter)
        self._http.mount("https://", adapter)
        return True

    def _body(self, pages: Sequence[Path], schema: Mapping[str, Any], instruction: str,
              schema_mode: bool) -> dict[str, Any]:
        content = image_parts(pages) + [{"type": "text", "text": instruction + "\nAnswer with one JSON object only."}]
        response_format: dict[str, Any] = (
            {"type": "json_schema", "json_schema": {"name": "fields", "schema": dict(schema)}}
            if schema_mode else {"type": "json_object"})
        return {"model": self.model, "temperature": 0, "response_format": response_format,
                "messages": [{"role": "user", "content": content}]}

    def extract(self, pages: Sequence[Path], schema: Mapping[str, Any], known: Mapping[str, Any],
                instruction: str) -> TeacherAnswer:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        # Decided per request, not from the shared flag: with several threads, another one
        # may already have switched the flag while this request still asked for json_schema.
        schema_mode = self.schema_mode
        try:
            response = self._http.post(f"{self.url}/chat/completions",
                                       json=self._body(pages, schema, instruction, schema_mode),
                                       headers=headers, timeout=self.timeout)
            sent = _sent(response)
            if response.status_code == 400 and schema_mode and "response_format" in response.text:
                self.schema_mode = False
                response = self._http.post(f"{self.url}/chat/completions",
                                           json=self._body(pages, schema, instruction, False), headers=headers,
                                           timeout=self.timeout)
                sent += _sent(response)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TeacherError("unreachable", f"cannot reach {self.url}: {exc}") from exc
        try:
            check_status(response, self.url)
        except TeacherError as error:
            error.attempts = sent
            raise
        try:
            body = response.json()
            text = body["choices"][0]["message"]["content"]
            usage = body.get("usage", {})
        except (ValueError, KeyError, IndexError) as exc:
            raise TeacherError("invalid", f"not an OpenAI chat answer: {exc}", raw=response.text[:2000]) from exc
        try:
            values = json.loads(text)
        except (TypeError, json.JSONDecodeError):
            raise TeacherError("invalid", "the answer is not JSON", raw=str(text)[:2000]) from None
        if not isinstance(values, dict):
            raise TeacherError("invalid", "the answer is not a JSON object", raw=str(text)[:2000])
        return TeacherAnswer(values=values, input_tokens=usage.get("prompt_tokens", 0),
                             output_tokens=usage.get("completion_tokens", 0), raw=str(text)[:20000], attempts=sent)
