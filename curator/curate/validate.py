"""Check a dataset against its provider's rules before a training job finds out the hard way.

In the spirit of ``idp-cli finetuning validate``: counts per split, class balance, every
line's shape, images (count, format, size, existence), reserved strings, token estimates,
and the rules each model adds (record bounds, no validation set for Nova 2 Lite, one image
per example for Llama 3.2, one ``<image>`` tag per image for ms-swift). Errors make a job
fail; warnings are worth reading.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
from PIL import Image

from connectors.documents.s3 import parse_s3_uri
from curator.labels.fieldset import project_schema
from exports.jsonl import SAMPLES_FILE, SPLIT_FILES
from exports.prompts import contains_reserved
from exports.swift import SWIFT_MAX_PIXELS

MB = 1024 * 1024


@dataclass(frozen=True)
class TargetRules:
    name: str
    export_format: str
    min_records: int
    max_records: int
    max_images: int
    image_formats: tuple[str, ...]
    max_image_bytes: int
    max_tokens: int
    validation_allowed: bool = True
    recommended_images: int | None = None


TARGETS = {
    "bedrock-nova": TargetRules("bedrock-nova", "bedrock-nova", 8, 20_000, 10, ("png", "jpeg", "gif", "webp"),
                                10 * MB, 32_000),
    "bedrock-nova2": TargetRules("bedrock-nova2", "bedrock-nova", 200, 20_000, 10, ("png", "jpeg", "gif"),
                                 10 * MB, 32_000, validation_allowed=False),
    "bedrock-llama32": TargetRules("bedrock-llama32", "bedrock-llama32", 100, 10_000, 1,
                                   ("png", "jpeg", "gif", "webp"), 10 * MB, 16_000, recommended_images=1),
    "swift": TargetRules("swift", "swift", 1, 10_000_000, 64, ("png", "jpeg", "gif", "webp"), 50 * MB, 4_096),
}


@dataclass
class ValidationReport:
    target: str
    folder: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    classes: dict[str, dict[str, int]] = field(default_factory=dict)
    field_coverage: dict[str, float] = field(default_factory=dict)
    labels_by_status: dict[str, int] = field(default_factory=dict)
    max_tokens_seen: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}

    def error(self, message: str) -> None:
        if len(self.errors) < 200:
            self.errors.append(message)

    def warn(self, message: str) -> None:
        if len(self.warnings) < 200:
            self.warnings.append(message)


def estimate_tokens(text: str, image_pixels: list[int], per_image_cap: int | None = None) -> int:
    """About 4 characters per text token, one token per 28x28 image patch."""
    pixels = [min(p, per_image_cap) if per_image_cap else p for p in image_pixels]
    return len(text) // 4 + sum(p // 784 for p in pixels)


def _leaves(answer: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Generic leaf paths of an answer (``employer.address``, ``line_items[].amount``) with values;
    a list of objects counts as a whole (``line_items``) and by its columns."""
    out: list[tuple[str, Any]] = []
    if isinstance(answer, dict):
        for key, value in answer.items():
            out += _leaves(value, f"{prefix}.{key}" if prefix else key)
    elif isinstance(answer, list) and (not answer or isinstance(answer[0], dict)):
        out.append((prefix, answer))
        for row in answer:
            out += _leaves(row, prefix + "[]")
    else:
        out.append((prefix, answer))
    return out


def validate_export(folder: Path, target: str, *, schema: dict[str, Any] | None = None,
                    labels_by_status: dict[str, int] | None = None, progress: Any = None) -> ValidationReport:
    """Check an export folder against a provider's rules (format, images, reserved strings, counts,
    the answers against the schema projected on the export's field set), before a paid job does.

    >>> validate_export(Path("exports/swift-extraction-w2"), "swift", schema=builtin_schema("w2")).ok
    """
    rules = TARGETS[target]
    report = ValidationReport(target=target, folder=str(folder), labels_by_status=labels_by_status or {})
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        report.error(f"{folder}: no manifest.json; is this an export folder?")
        return report
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest["format"] != rules.export_format:
        report.error(f"the export is {manifest['format']}, target {target} needs {rules.export_format}")
        return report
    task = manifest["task"]
    s3_prefix = manifest.get("s3_prefix")
    if rules.export_format.startswith("bedrock") and not s3_prefix:
        report.error("Bedrock reads images from S3: export with --s3 s3://bucket/prefix so lines carry s3:// URIs")
    if not rules.validation_allowed and (folder / SPLIT_FILES["validation"]).exists():
        report.error(f"{target} takes no validation set: export with --fold-validation (the validation documents "
                     "go into train)")
    image_sizes: dict[str, int] = {}
    coverage: Counter = Counter()
    answers = 0
    class_counts: dict[str, Counter] = {}
    field_set = (manifest.get("fields") or {}).get("fields")
    if schema and field_set:  # the export answers over its field set: check against that projection
        schema = project_schema(schema, field_set)
    validator = jsonschema.Draft202012Validator(schema) if schema and task == "extraction" else None
    empty_kind: dict[str, str] = {}
    traced = _samples(folder)
    if progress is not None:
        progress.start(len(traced) or None, f"validate {target}")
    for split, filename in SPLIT_FILES.items():
        path = folder / filename
        if not path.exists():
            continue
        count = 0
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                count += 1
                if progress is not None:
                    progress.advance()
                where = f"{filename}:{number}"
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    report.error(f"{where}: not JSON ({exc.msg})")
                    continue
                checked = (_check_swift if rules.export_format == "swift" else _check_bedrock)(
                    record, where, rules, report, folder, s3_prefix, image_sizes)
                if checked is None:
                    continue
                answer, images = checked
                answers += 1
                if rules.export_format != "swift" and contains_reserved(answer):
                    report.error(_reserved_in_answer(where, answer, traced.get((split, number))))
                if task == "classification":
                    class_counts.setdefault(answer, Counter())[split] += 1
                elif validator is not None:
                    try:
                        target_json = json.loads(answer)
                    except json.JSONDecodeError:
                        report.error(f"{where}: the assistant answer is not JSON")
                        continue
                    errors = list(validator.iter_errors(target_json))
                    if errors:
                        report.error(f"{where}: answer fails the schema: {errors[0].message}")
                    for path, value in _leaves(target_json):
                        coverage[path] += value not in (None, [], {}, "")
                        if value in (None, [], {}, ""):
                            empty_kind.setdefault(path, "an empty list" if value == [] else json.dumps(value))
        report.counts[split] = count
    _check_counts(report, rules)
    if class_counts:
        report.classes = {cls: dict(c) for cls, c in sorted(class_counts.items())}
        total = sum(sum(c.values()) for c in class_counts.values())
        for cls, c in class_counts.items():
            if sum(c.values()) < 10 or sum(c.values()) / total < 0.05:
                report.warn(f"class {cls!r} is thin: {sum(c.values())} of {total} examples")
        if len(class_counts) < 2:
            report.error("a classification dataset needs at least 2 classes")
    if answers and coverage:
        report.field_coverage = {key: round(coverage[key] / answers, 3) for key in sorted(coverage)}
        for key, share in report.field_coverage.items():
            if share == 0:
                report.warn(f"field {key!r} is {empty_kind.get(key, 'null')} in every example: the model will "
                            "learn to always answer that")
    if labels_by_status:
        unapproved = sum(v for k, v in labels_by_status.items() if k not in ("approved", "auto_accepted"))
        if unapproved:
            report.warn(f"{unapproved} labelled documents are not approved or auto-accepted and were left out")
    return report


def _samples(folder: Path) -> dict[tuple[str, int], dict[str, Any]]:
    """(split, line) -> the document and file that line teaches, from the export's samples.jsonl."""
    path = folder / SAMPLES_FILE
    if not path.exists():
        return {}
    with open(path, encoding="utf-8") as handle:
        return {(row["split"], row["line"]): row for row in map(json.loads, handle)}


def _reserved_in_answer(where: str, answer: str, sample: dict[str, Any] | None) -> str:
    """Which reserved strings, in which fields of which document: what the user must fix."""
    try:
        leaves = [(path, value) for path, value in _leaves(json.loads(answer)) if isinstance(value, str)]
    except json.JSONDecodeError:
        leaves = [("(answer)", answer)]
    found = [f"{path} ({', '.join(contains_reserved(value))})" for path, value in leaves if contains_reserved(value)]
    document = f" of {sample['file'] or sample['document'][:12]}" if sample else ""
    return (f"{where}: the answer{document} holds reserved string(s) Bedrock refuses in any message: "
            f"{'; '.join(found) or ', '.join(contains_reserved(answer))}. Fix the label, or export with "
            "--reserved neutralise (User: -> User -, <image> -> (image))")


def _check_counts(report: ValidationReport, rules: TargetRules) -> None:
    # Bedrock counts the training set for the minimum, train and validation together for the maximum.
    train = report.counts.get("train", 0)
    both = train + report.counts.get("validation", 0)
    if train < rules.min_records:
        advice = (" (export with --fold-validation to train on the validation documents too)"
                  if report.counts.get("validation") and train + report.counts["validation"] >= rules.min_records
                  else "")
        report.error(f"{train} training records; {rules.name} needs at least {rules.min_records} in the training "
                     f"set{advice}")
    if both > rules.max_records:
        report.error(f"{both} training and validation records; {rules.name} takes at most {rules.max_records}")
    if rules.name.startswith("bedrock-nova") and train < 100:
        report.warn(f"{train} training records: about 100 or more high-quality examples are recommended")
    if not report.counts.get("test"):
        report.warn("no test split: there is nothing held out to evaluate the fine-tuned model on")


def _text_parts(record_content) -> str:
    return " ".join(part.get("text", "") for part in record_content if isinstance(part, dict))


def _check_image(relative: str, where: str, rules: TargetRules, report: ValidationReport, folder: Path,
                 image_sizes: dict[str, int]) -> int | None:
    if relative not in image_sizes:
        path = folder / relative
        if not path.exists():
            report.error(f"{where}: image {relative} is missing")
            image_sizes[relative] = -1
        else:
            size = path.stat().st_size
            if size >= rules.max_image_bytes:
                report.error(f"{where}: image {relative} is {size / MB:.1f} MB, over {rules.max_image_bytes // MB} MB")
            with Image.open(path) as image:
                fmt = (image.format or "").lower()
                pixels = image.width * image.height
            if fmt not in rules.image_formats:
                report.error(f"{where}: image format {fmt} not accepted by {rules.name}")
            image_sizes[relative] = pixels
    pixels = image_sizes[relative]
    return None if pixels < 0 else pixels


def _check_bedrock(record, where, rules, report, folder, s3_prefix, image_sizes):
    if record.get("schemaVersion") != "bedrock-conversation-2024":
        report.error(f"{where}: schemaVersion must be bedrock-conversation-2024")
    messages = record.get("messages") or []
    roles = [m.get("role") for m in messages]
    if len(roles) < 2 or roles[0] != "user" or roles[-1] != "assistant" or any(
            a == b for a, b in zip(roles, roles[1:])) or set(roles) - {"user", "assistant"}:
        report.error(f"{where}: messages must alternate user/assistant, user first, assistant last")
        return None
    system_text = _text_parts(record.get("system", []))
    user = messages[0]["content"]
    images = [part["image"] for part in user if "image" in part]
    if any("video" in part for part in user):
        report.error(f"{where}: a dataset is text+image or text+video, never both")
    text = system_text + " " + _text_parts(user)
    reserved = contains_reserved(text)
    if reserved:
        report.error(f"{where}: reserved string(s) {', '.join(reserved)} in the prompt fail a Bedrock job")
    if len(images) > rules.max_images:
        report.error(f"{where}: {len(images)} images, {rules.name} takes at most {rules.max_images}")
    elif rules.recommended_images and len(images) > rules.recommended_images:
        report.warn(f"{where}: {len(images)} images; one per example is recommended for {rules.name}")
    bucket = parse_s3_uri(s3_prefix)[0] if s3_prefix else None
    pixels = []
    image_indices = [i for i, part in enumerate(user) if "image" in part]
    if image_indices and image_indices != list(range(len(image_indices))):
        report.warn(f"{where}: media first, then text, is the recommended order")
    for image in images:
        if image.get("format") not in rules.image_formats:
            report.error(f"{where}: image format {image.get('format')} not accepted by {rules.name}")
        uri = image.get("source", {}).get("s3Location", {}).get("uri", "")
        if s3_prefix:
            if not uri.startswith("s3://") or parse_s3_uri(uri)[0] != bucket:
                report.error(f"{where}: image {uri} is not in the dataset's bucket {bucket}")
                continue
            relative = uri[len(s3_prefix.rstrip("/")) + 1:]
        else:
            relative = uri
        if not all(ch.isalnum() or ch in "_-/." for ch in relative):
            report.error(f"{where}: image path {relative} has characters Bedrock does not accept")
        size = _check_image(relative, where, rules, report, folder, image_sizes)
        if size is not None:
            pixels.append(size)
    answer = _text_parts(messages[-1]["content"])
    tokens = estimate_tokens(text + answer, pixels)
    report.max_tokens_seen = max(report.max_tokens_seen, tokens)
    if tokens > rules.max_tokens:
        report.error(f"{where}: about {tokens} tokens, over {rules.name}'s {rules.max_tokens}")
    return answer, images


def _check_swift(record, where, rules, report, folder, s3_prefix, image_sizes):
    messages = record.get("messages") or []
    images = record.get("images") or []
    roles = [m.get("role") for m in messages]
    if not roles or roles[-1] != "assistant" or "user" not in roles:
        report.error(f"{where}: messages need a user turn and end with the assistant")
        return None
    tags = sum(str(m.get("content", "")).count("<image>") for m in messages)
    if tags != len(images):
        report.error(f"{where}: {tags} <image> tags for {len(images)} images: ms-swift loads such a line with "
                     "only a log message and trains on a broken sample")
    pixels = []
    for relative in images:
        size = _check_image(relative, where, rules, report, folder, image_sizes)
        if size is not None:
            pixels.append(size)
    answer = messages[-1]["content"]
    text = " ".join(m["content"] for m in messages if m["role"] != "assistant").replace("<image>", "")
    tokens = estimate_tokens(text + answer, pixels, per_image_cap=SWIFT_MAX_PIXELS)
    report.max_tokens_seen = max(report.max_tokens_seen, tokens)
    if tokens > rules.max_tokens:
        report.error(f"{where}: about {tokens} tokens, over max_length {rules.max_tokens} of the recipe")
    return answer, images
