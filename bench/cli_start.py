"""How fast the CLI starts: ``curator --help`` and ``curator docs list`` against ``python -c pass``.

Every command imports only what it needs when it runs, so help and small read commands do not
pay for boto3, pandas, Label Studio's SDK or Alembic (goal: median under 0.6 s on these
machines). The baseline is the bare interpreter, measured in the same run.

    .venv/bin/python bench/cli_start.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _median(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    cli = [sys.executable, "-m", "curator.cli"]
    with tempfile.TemporaryDirectory() as scratch:
        workspace = Path(scratch) / "ws"
        subprocess.run(cli + ["init", str(workspace)], check=True, stdout=subprocess.DEVNULL)
        baseline = _median([sys.executable, "-c", "pass"], args.runs)
        results = {"python_pass_s": round(baseline, 3)}
        for name, command in (("help", cli + ["--help"]), ("docs_list", cli + ["-w", str(workspace), "docs", "list"])):
            seconds = _median(command, args.runs)
            results[f"{name}_s"] = round(seconds, 3)
            results[f"{name}_vs_python"] = round(seconds / baseline, 1)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
