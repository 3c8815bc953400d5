"""The labeling interface generated from the target schema, and the mapping between its
controls and label paths.

- The pages: one multi-page ``<Image valueList="$pages">``.
- One ``<TextArea>`` per scalar leaf (the schema's hint as its header), a ``<Choices>`` for enum
  fields and for the document class.
- One multiple ``<Choices>`` named ``absent_fields``: the fields the annotator decides are not
  on the document. A box left empty and not ticked there stays *unknown*.
- The text regions OCR or the text layer found (Label Studio's OCR template): a ``Rectangle``
  and a per-region ``TextArea``, pushed as predictions beside the field values.
- An array of objects (line items, state rows) is one TextArea with a row per line and the
  sub-fields separated by `` | `` in the order the header names: Label Studio has no editable
  table, and a fixed number of boxes per row would cap how many rows a document may have.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import quoteattr

from curator.labels.paths import leaf_paths, schema_at

CLASS_CONTROL = "document_class"
# Where an annotator says a field is not on the document: a decision of its own. An empty box
# that is not ticked here means "not looked at" (unknown), never "absent".
ABSENT_CONTROL = "absent_fields"
SEPARATOR = " | "
# The text regions found on the pages (Label Studio's OCR template): a box and its text.
OCR_BOX = "ocr_box"
OCR_TEXT = "ocr_text"


@dataclass(frozen=True)
class Control:
    name: str
    path: str  # leaf path, or the array's name for a table control
    kind: str  # "textarea" | "choices" | "table"
    choices: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    hint: str = ""


@dataclass
class Interface:
    config: str
    controls: dict[str, Control] = field(default_factory=dict)


def control_name(path: str) -> str:
    return path.replace("[]", "").replace(".", "__")


def build_interface(schema: Mapping[str, Any], document_classes: list[str]) -> Interface:
    """The Label Studio labeling config generated from the schema, and which control is which field.

    >>> build_interface(builtin_schema("invoice"), ["invoice", "w2"]).config.startswith("<View>")
    True
    """
    controls: dict[str, Control] = {}
    arrays: dict[str, list[str]] = {}
    for leaf in leaf_paths(schema):
        if leaf.endswith("[]"):
            arrays.setdefault(leaf[:-2], [])
            continue
        if "[]." in leaf:
            array, _, sub = leaf.partition("[].")
            arrays.setdefault(array, []).append(sub)
            continue
        node = schema_at(schema, leaf)
        enum = [str(v) for v in node.get("enum", []) if v is not None]
        controls[control_name(leaf)] = Control(control_name(leaf), leaf, "choices" if enum else "textarea",
                                               tuple(enum), hint=node.get("x-hint", ""))
    for array, columns in arrays.items():
        node = schema_at(schema, array)
        # The schema's own property order (description, quantity, ...), as a person reads a row.
        ordered = [c for c in node.get("items", {}).get("properties", {}) if c in columns]
        controls[control_name(array)] = Control(control_name(array), array, "table", columns=tuple(ordered),
                                                hint=node.get("x-hint", ""))
    lines = ['<View>', '  <Header value="$file_name"/>', '  <View style="display: flex; gap: 16px">',
             '    <View style="flex: 3">', '      <Image name="page" valueList="$pages" zoom="true"/>',
             f'      <Rectangle name="{OCR_BOX}" toName="page" strokeWidth="1" canRotate="false"/>',
             f'      <TextArea name="{OCR_TEXT}" toName="page" editable="true" perRegion="true" rows="1" '
             'displayMode="region-list" maxSubmissions="1" placeholder="Text in this box"/>', '    </View>',
             '    <View style="flex: 2; max-height: 90vh; overflow-y: auto">',
             '      <Header value="Document class" size="5"/>',
             f'      <Choices name="{CLASS_CONTROL}" toName="page" choice="single" showInline="true">']
    lines += [f'        <Choice value={quoteattr(c)}/>' for c in document_classes]
    lines.append('      </Choices>')
    lines.append('      <Header value="Not on the document (tick what the document does not show; an empty box '
                 'that is not ticked stays unknown)" size="5"/>')
    lines.append(f'      <Choices name="{ABSENT_CONTROL}" toName="page" choice="multiple" showInline="true">')
    lines += [f'        <Choice value={quoteattr(control.path)}/>' for control in controls.values()]
    lines.append('      </Choices>')
    for control in controls.values():
        if control.kind == "table":
            header = f"{control.path}: one row per line, {SEPARATOR.join(control.columns)}"
        else:
            header = f"{control.path}" + (f" ({control.hint})" if control.hint else "")
        lines.append(f'      <Header value={quoteattr(header)} size="6"/>')
        if control.kind == "choices":
            lines.append(f'      <Choices name="{control.name}" toName="page" choice="single" showInline="true">')
            lines += [f'        <Choice value={quoteattr(c)}/>' for c in control.choices]
            lines.append('      </Choices>')
        else:
            rows = 6 if control.kind == "table" else 1
            lines.append(f'      <TextArea name="{control.name}" toName="page" rows="{rows}" editable="true" '
                         'maxSubmissions="1"/>')
    lines += ['    </View>', '  </View>', '</View>']
    return Interface("\n".join(lines), controls)
