"""The layout's rules, checked on the code: stages side by side, the CLI on top."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def _modules(folder: str) -> list[Path]:
    return [p for p in (ROOT / folder).rglob("*.py") if "migrations" not in p.parts]


def test_only_the_pipeline_and_the_cli_import_the_record_stage():
    allowed = {ROOT / "curator" / "pipeline.py"}
    offenders = [str(p.relative_to(ROOT)) for p in _modules("curator")
                 if p not in allowed and "cli" not in p.parts and "records" not in p.parts
                 and any(m == "curator.records" or m.startswith("curator.records.") for m in _imports(p))]
    assert offenders == []


def test_nothing_below_the_cli_imports_it():
    offenders = [str(p.relative_to(ROOT)) for folder in ("curator", "connectors", "exports", "app")
                 for p in _modules(folder) if "cli" not in p.parts
                 and any(m == "curator.cli" or m.startswith("curator.cli.") for m in _imports(p))]
    assert offenders == []


def test_connectors_and_writers_know_nothing_of_the_store():
    offenders = [str(p.relative_to(ROOT)) for folder in ("connectors", "exports") for p in _modules(folder)
                 if any(m.startswith(("curator.store", "curator.workspace")) for m in _imports(p))]
    assert offenders == []
