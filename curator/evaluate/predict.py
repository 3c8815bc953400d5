"""Answer new documents with a (fine-tuned) model, asked exactly as it was trained.

``curator predict --model ... --schema w2 scan1.pdf scan2.png`` renders each file's pages the
way ingest does, sends them with the prompts of the export the model was trained on
(``prompts``), and writes one ``{"file", "prediction"}`` line per file: the same lines
``curator evaluate --model predictions:FILE`` reads. An OpenAI-compatible server can be asked
for output constrained to the dataset's JSON Schema.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from curator.workspace import Workspace


def predict(workspace: Workspace, spec: str, files: Sequence[Path], *, schema_name: str, export: Path | None = None,
            constrained: bool = False, model: Any = None) -> Iterator[dict[str, Any]]:
    """One answer per file: ``{"file", "prediction"}`` (parsed JSON), or ``{"file", "error"}``."""
    from curator.evaluate.metrics import parse_prediction
    from curator.evaluate.models import make_model
    from curator.evaluate.prompts import trained_prompts
    from curator.ingest.render import RenderSettings, render
    from curator.ingest.problems import BadInput
    from curator.ingest.sniff import detect_mime
    from curator.labels.fieldset import project_schema
    from curator.schemas.registry import schema_for
    from curator.teach.base import TeacherError

    prompts = trained_prompts(workspace, schema_name, export)
    if model is None:
        schema = project_schema(schema_for(workspace, schema_name), prompts.fields) if prompts.fields \
            else schema_for(workspace, schema_name)
        model = make_model(spec, json_schema=schema if constrained else None)
    settings = RenderSettings(dpi=workspace.config.ingest.dpi, max_pixels=prompts.max_pixels)
    for path in files:
        try:
            data = Path(path).read_bytes()
            with tempfile.TemporaryDirectory() as scratch:
                pages = []
                for index, page in enumerate(render(data, detect_mime(data[:4096]), settings)):
                    target = Path(scratch) / f"page-{index:03d}.png"
                    page.image.save(target, format="PNG")
                    pages.append(target)
                answer = model.answer(pages, prompts.system, prompts.user)
        except (OSError, BadInput, TeacherError) as exc:
            yield {"file": Path(path).name, "error": str(exc)}
            continue
        prediction, problem = parse_prediction(answer.text)
        yield ({"file": Path(path).name, "prediction": prediction} if prediction is not None
               else {"file": Path(path).name, "error": problem or "not JSON", "raw": answer.text[:2000]})


def as_jsonl(results: Iterator[dict[str, Any]]) -> Iterator[str]:
    for row in results:
        yield json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n"
