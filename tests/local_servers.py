"""Local servers the tests and the benchmarks start: a free port, and `curator review` run the
way a user runs it, with the log in the browser."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def review_ui(root: Path, timeout: float = 60.0) -> Iterator[str]:
    """``curator -w ROOT review`` on a free port until the block ends; yields its address."""
    port = free_port()
    curator = Path(sys.executable).with_name("curator")
    with tempfile.TemporaryFile() as log:  # a file, not a pipe: a long run never blocks on output
        server = subprocess.Popen([str(curator), "-w", str(root), "review", "--port", str(port)],
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    if requests.get(f"{url}/_stcore/health", timeout=1).ok:
                        break
                except requests.ConnectionError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"the review UI did not start: {log.read().decode()[-2000:]}")
                time.sleep(0.3)
            yield url
        finally:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)


def log_in(page, url: str, name: str, password: str) -> None:
    """Open the review UI in a Playwright page, log in and start reviewing."""
    page.goto(url)
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Start reviewing").click()
