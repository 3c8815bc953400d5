"""Label values to Label Studio results (predictions) and annotation results back to typed values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from curator.labels.fields import ABSENT, VALUE, state_of
from curator.labels.paths import schema_at
from curator.labelstudio.interface import (
    ABSENT_CONTROL,
    CLASS_CONTROL,
    OCR_BOX,
    OCR_TEXT,
    SEPARATOR,
    Control,
    Interface,
)
from curator.review.values import coerce, display


def _result(control: Control, value: Any) -> dict[str, Any]:
    if control.kind == "choices":
        return {"from_name": control.name, "to_name": "page", "type": "choices", "value": {"choices": [str(value)]}}
    return {"from_name": control.name, "to_name": "page", "type": "textarea", "value": {"text": [value]}}


def table_text(rows: dict[int, dict[str, Any]], columns: tuple[str, ...]) -> str:
    return "\n".join(SEPARATOR.join(display(rows[i].get(c)) for c in columns) for i in sorted(rows))


def prediction_results(fields: Mapping[str, Mapping[str, Any]], interface: Interface,
                       document_class: str | None) -> list[dict[str, Any]]:
    """What Curator believes, as Label Studio results: one per control that has a value."""
    results = []
    if document_class:
        results.append({"from_name": CLASS_CONTROL, "to_name": "page", "type": "choices",
                        "value": {"choices": [document_class]}})
    tables: dict[str, dict[int, dict[str, Any]]] = {}
    by_path = {c.path: c for c in interface.controls.values()}
    absent = sorted(path for path, entry in fields.items() if state_of(entry) == ABSENT and path in by_path)
    if absent:
        results.append({"from_name": ABSENT_CONTROL, "to_name": "page", "type": "choices",
                        "value": {"choices": absent}})
    for path, entry in sorted(fields.items()):
        if state_of(entry) != VALUE:  # unknown: an empty box; absent: ticked above
            continue
        value = entry.get("value")
        if "[" in path:
            array, _, rest = path.partition("[")
            index, _, sub = rest.partition("].")
            tables.setdefault(array, {}).setdefault(int(index), {})[sub] = value
            continue
        control = by_path.get(path)
        if control is None or value is None or (control.kind == "choices" and str(value) not in control.choices):
            continue
        results.append(_result(control, value if control.kind == "choices" else display(value)))
    for array, rows in tables.items():
        control = by_path.get(array)
        if control is not None and rows:
            results.append(_result(control, table_text(rows, control.columns)))
    return results


MAX_REGIONS_PER_PAGE = 400  # a dense page; more would make the task heavy to open


def ocr_region_results(pages: list[list[Any]], sizes: list[tuple[int, int]]) -> list[dict[str, Any]]:
    """The text lines of each page (``TextLine``: text and 0-1 box) as OCR regions: a Rectangle
    with its per-region TextArea, sharing one id; ``item_index`` names the page of the
    multi-page image. Coordinates are percentages of the page, as Label Studio stores them."""
    results = []
    for page, (lines, (width, height)) in enumerate(zip(pages, sizes)):
        for number, line in enumerate(lines[:MAX_REGIONS_PER_PAGE]):
            x0, y0, x1, y1 = line.box
            geometry = {"x": round(x0 * 100, 3), "y": round(y0 * 100, 3), "width": round((x1 - x0) * 100, 3),
                        "height": round((y1 - y0) * 100, 3), "rotation": 0}
            common = {"id": f"p{page}r{number}", "to_name": "page", "original_width": width,
                      "original_height": height, "image_rotation": 0, "item_index": page}
            results.append({**common, "from_name": OCR_BOX, "type": "rectangle", "value": geometry})
            results.append({**common, "from_name": OCR_TEXT, "type": "textarea",
                            "value": {**geometry, "text": [line.text]}})
    return results


def _text(result: Mapping[str, Any]) -> str:
    value = result.get("value", {})
    if "choices" in value:
        return str(value["choices"][0]) if value["choices"] else ""
    texts = value.get("text", [])
    return "\n".join(str(t) for t in texts) if isinstance(texts, list) else str(texts)


def values_from_results(results: list[Mapping[str, Any]], interface: Interface, schema: Mapping[str, Any],
                        ) -> tuple[dict[str, Any], dict[str, str], str | None]:
    """A person's annotation as typed values by leaf path, the fields that could not be read
    (path -> why), and the document class chosen. A field ticked "not on the document" is
    ``None`` (absent); a box left empty and not ticked is not in the values: still unknown."""
    given = {r.get("from_name"): _text(r) for r in results if r.get("from_name") not in (None, OCR_BOX, OCR_TEXT)}
    ticked = {choice for r in results if r.get("from_name") == ABSENT_CONTROL
              for choice in r.get("value", {}).get("choices", [])}
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for control in interface.controls.values():
        text = given.get(control.name, "")
        if not text.strip():
            if control.path in ticked:
                values[control.path] = None  # decided: not on the document
            continue  # nobody filled it: unknown
        # A value typed in the box wins over a tick left from the prediction.
        if control.kind != "table":
            try:
                values[control.path] = coerce(schema_at(schema, control.path), text)
            except ValueError as exc:
                errors[control.path] = str(exc)
            continue
        for index, line in enumerate(row for row in text.splitlines() if row.strip()):
            cells = [cell.strip() for cell in line.split(SEPARATOR.strip())]
            if len(cells) != len(control.columns):
                errors[f"{control.path}[{index}]"] = (f"row {index + 1} has {len(cells)} values, expected "
                                                       f"{len(control.columns)}: {', '.join(control.columns)}")
                continue
            for column, cell in zip(control.columns, cells):
                path = f"{control.path}[{index}].{column}"
                try:
                    values[path] = coerce(schema_at(schema, path), cell)
                except ValueError as exc:
                    errors[path] = str(exc)
    return values, errors, given.get(CLASS_CONTROL) or None
