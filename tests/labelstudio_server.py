"""A real Label Studio server for the tests and the benchmark, started the way its docs say.

``CURATOR_LABEL_STUDIO`` points at the ``label-studio`` executable (``make test`` installs it in
``.venv-labelstudio``). The server gets a fresh data folder, a user with a legacy token, local
file serving under ``document_root``, and analytics off; it is ready in 30-90 s.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests
from local_servers import free_port

USER, PASSWORD, LEGACY_TOKEN = "curator@example.com", "curator-test-pass", "c0ffee" * 6 + "abcd"


@dataclass
class LabelStudioServer:
    url: str
    token: str
    document_root: Path
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGKILL)


def executable() -> str | None:
    configured = os.environ.get("CURATOR_LABEL_STUDIO")
    if configured and Path(configured).exists():
        return configured
    local = Path(__file__).resolve().parents[1] / ".venv-labelstudio" / "bin" / "label-studio"
    if local.exists():
        return str(local)
    return shutil.which("label-studio")


def start(base: Path, timeout: float = 240.0) -> LabelStudioServer:
    binary = executable()
    if binary is None:
        raise FileNotFoundError("label-studio is not installed (make test installs it in .venv-labelstudio)")
    base.mkdir(parents=True, exist_ok=True)
    data, root = base / "ls-data", base / "files"
    root.mkdir(exist_ok=True)
    port = free_port()
    env = dict(os.environ, LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED="true",
               LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT=str(root), COLLECT_ANALYTICS="false",
               LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK="true", DJANGO_DB="sqlite",
               # The S3 storage test points Label Studio at a local moto server; Label Studio's
               # SSRF guard refuses storage endpoints on loopback addresses unless told otherwise.
               SSRF_PROTECTION_ENABLED="false",
               # No error reports to the internet (there is none here).
               SENTRY_DSN="", FRONTEND_SENTRY_DSN="")
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = base / "label-studio.log"
    process = subprocess.Popen(
        [binary, "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(port), "--data-dir",
         str(data), "--username", USER, "--password", PASSWORD, "--user-token", LEGACY_TOKEN,
         "--enable-legacy-api-token"],
        stdout=open(log, "w"), stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Label Studio exited: {log.read_text()[-3000:]}")
        try:
            if requests.get(f"{url}/api/version", timeout=2).ok:
                return LabelStudioServer(url, LEGACY_TOKEN, root, process, log)
        except requests.RequestException:
            pass
        time.sleep(1)
    os.killpg(process.pid, signal.SIGKILL)
    raise TimeoutError(f"Label Studio did not answer within {timeout:.0f}s: {log.read_text()[-3000:]}")
