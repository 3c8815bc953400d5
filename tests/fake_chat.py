"""A local OpenAI-compatible /chat/completions endpoint for the tests: a fixed answer, a fixed
latency, injected HTTP errors, and optionally a server that refuses json_schema output."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeChat:
    def __init__(self, content: str, *, latency: float = 0.0, usage: tuple[int, int] = (1200, 200),
                 refuse_json_schema: bool = False) -> None:
        self.content, self.latency, self.usage = content, latency, usage
        self.refuse_json_schema = refuse_json_schema
        self.fail_next: list[int] = []  # statuses answered, in order, before any answer
        self.bodies: list[dict] = []  # every request received, failed ones included
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.bodies.append(body)
                time.sleep(fake.latency)
                if fake.fail_next:
                    return self._send(fake.fail_next.pop(0), {"error": {"message": "injected"}})
                if fake.refuse_json_schema and body.get("response_format", {}).get("type") == "json_schema":
                    return self._send(400, {"error": {"message": "response_format json_schema is not supported"}})
                self._send(200, {"choices": [{"message": {"role": "assistant", "content": fake.content}}],
                                 "usage": {"prompt_tokens": fake.usage[0], "completion_tokens": fake.usage[1]}})

            def _send(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
