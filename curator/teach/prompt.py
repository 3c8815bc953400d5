"""What the teacher is asked: the schema of the fields wanted, the known values as context,
per-field hints, and page images within the request limits."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Mapping
from typing import Any

from PIL import Image

from curator.imaging import fit_to_pixels

PROMPT_VERSION = "t2"
# An optional object in every answer where the model may say how sure it is per field;
# triage uses it (field confidence comes from agreement between sources, and from the model
# where it reports one). It never reaches the label as a field.
CONFIDENCE_KEY = "_confidence"
# Bedrock takes about 3.75 MiB of raw bytes per image; a 4 MP PNG page (the ingest cap, so
# ingested pages go out as they are, without a re-encode) stays well below it.
MAX_IMAGE_PIXELS = 4_000_000
MAX_IMAGE_BYTES = int(3.75 * 1024 * 1024)


def requested_schema(schema: Mapping[str, Any], fields: list[str] | None) -> dict[str, Any]:
    """The target schema cut down to the top-level fields asked for (all when None)."""
    result = copy.deepcopy(dict(schema))
    for key in ("$schema", "$id", "x-document-class"):
        result.pop(key, None)
    if fields is not None:
        tops = {f.split(".")[0].split("[")[0] for f in fields}
        result["properties"] = {k: v for k, v in result["properties"].items() if k in tops}
        result["required"] = sorted(result["properties"])
    result["properties"][CONFIDENCE_KEY] = {
        "type": "object",
        "description": "Optional: for each field you filled, how sure you are that it is read right, 0 to 1.",
        "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1},
    }
    return result


def instruction(schema: Mapping[str, Any], known: Mapping[str, Any], mode: str) -> str:
    lines = [f"Read this {schema.get('title', 'document')} and fill every field of the emit_fields tool "
             "exactly as printed; use null where the document does not show a value."]
    if known and mode == "gaps":
        lines.append("These values are already known from the company's records (use them as context, "
                     "do not repeat them): " + json.dumps(known, sort_keys=True, ensure_ascii=False))
    return "\n".join(lines)


def page_bytes(path) -> bytes:
    """A page (a ``Path`` or a ``BlobPage``) as the bytes a request carries, within the limits."""
    data = path.read_bytes()
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        fitted = fit_to_pixels(image, MAX_IMAGE_PIXELS)
        if fitted is image and len(data) <= MAX_IMAGE_BYTES:
            return data
        buffer = io.BytesIO()
        fitted.save(buffer, format="PNG")
        return buffer.getvalue()
