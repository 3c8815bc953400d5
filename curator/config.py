"""The workspace configuration, kept in ``curator.toml`` beside the store.

A typed model rather than a loose dict so that a typo in the file fails loudly at
load time (with the key that is wrong) instead of silently falling back to a default.
"""

from __future__ import annotations

import os

import tomllib
from pathlib import Path
from typing import Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError

CONFIG_FILE = "curator.toml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StoreConfig(_Section):
    # Relative SQLite paths are resolved against the workspace folder, so a workspace
    # can be moved or copied as one directory.
    url: str = "sqlite:///curator.db"


class BlobsConfig(_Section):
    url: str = "blobs"


class IngestConfig(_Section):
    renderer: Literal["pypdfium2", "pdf2image"] = "pypdfium2"
    dpi: int = Field(150, ge=36, le=600)
    # Cap on rendered page size: a poster-sized page is scaled down rather than
    # producing a 100-megapixel PNG nobody can train on.
    max_pixels: int = Field(4_000_000, ge=100_000)
    # Source images above this are treated as decompression bombs and quarantined.
    max_source_pixels: int = Field(120_000_000, ge=1_000_000)
    max_file_bytes: int = Field(200 * 1024 * 1024, ge=1024)
    max_pages: int = Field(200, ge=1)
    workers: int = Field(2, ge=1, le=64)
    # A page whose text layer has fewer characters than this is image-only: flag for OCR.
    ocr_min_chars: int = Field(16, ge=0)
    png_compress_level: int = Field(1, ge=0, le=9)
    # Store pages without any colour as 8-bit grey PNGs: lossless for them, a third of the
    # size, and much cheaper to encode. Pages with colour (logos, stamps) stay RGB.
    grey_when_colourless: bool = True
    # How worker processes start. "fork" starts them instantly with the render stack
    # already imported (workers only render and never touch the parent's connections or
    # threads); "forkserver" or "spawn" are the cautious choices where fork is unsafe.
    worker_start: Literal["fork", "forkserver", "spawn"] = "fork"


class OcrConfig(_Section):
    # rapidocr: installs with pip, models in the wheel (the default); tesseract: needs apt.
    engine: Literal["rapidocr", "tesseract"] = "rapidocr"
    # Tesseract page segmentation modes, each run on every image-only page and their text
    # joined: on box-grid forms "6" (uniform block) and "11" (sparse text) each read fields
    # the other misses. Use [3] for a faster single pass.
    page_segmentation: list[int] = Field(default_factory=lambda: [6, 11])
    language: str = "eng"
    workers: int = Field(2, ge=1, le=64)


class TriageConfig(_Section):
    # agreement-v1: every field must be backed (agreeing sources, a person, or a source
    # trusted alone at or above min_confidence); erp-v1: the ERP bootstrap's first policy.
    policy: Literal["agreement-v1", "erp-v1"] = "agreement-v1"
    min_confidence: float = Field(0.9, ge=0.0, le=1.0)
    # Sources whose value counts as backed without a second opinion (when confident enough).
    # The ERP is the system of record and its values were checked against the document text.
    trusted_alone: list[Literal["erp", "rule", "teacher", "human"]] = Field(
        default_factory=lambda: ["erp", "rule", "human"])
    # An agreement rule that may decide "absent": the ERP cell is empty and the teacher answers
    # null. Off by default: only a person or a mapping that declares the ERP authoritative
    # (empty = "absent") decides that a field is not on the document.
    absent_when_erp_and_teacher_agree: bool = False
    # Which fields a dataset of each schema holds (generic leaf paths, e.g. "line_items[].amount");
    # a label is complete -- and can be auto-accepted and exported -- when every one of them is
    # decided. Unset: every field of the schema. `curator fields suggest --save` writes it.
    fields: dict[str, list[str]] = Field(default_factory=dict)


class TeacherConfig(_Section):
    # Where Bedrock batch inference reads requests and writes answers, and the service role
    # it runs as (overridable by --s3 / --role-arn).
    batch_s3: str | None = None
    batch_role_arn: str | None = None
    # Bedrock refuses batch jobs below its minimum record count (100 for most models).
    batch_min_records: int = Field(100, ge=1)
    # From this many documents to ask on demand, annotate proposes Bedrock batch inference (half
    # the price) instead of sending; --delivery auto picks it, --delivery on-demand insists.
    batch_above: int = Field(1000, ge=1)
    # Stop a run after this many documents in a row whose teacher could not be reached at all.
    breaker_failures: int = Field(3, ge=1)
    # The confidence of a value from a teacher that reports none (triage's min_confidence decides
    # whether such values need a person).
    default_confidence: float = Field(0.7, ge=0.0, le=1.0)


class ReviewConfig(_Section):
    # How long opening a document reserves it for one reviewer; saving renews it.
    lease_minutes: int = Field(15, ge=1, le=24 * 60)
    # How the browser gets page images. "inline": inside the logged-in session's own messages
    # (nothing to leak, but every page's bytes pass through the review server). "presigned":
    # with the blobs in S3, a link valid for 10 minutes that the browser fetches from S3 itself
    # (the review server carries no image bytes; a link works for whoever holds it until then).
    page_images: Literal["inline", "presigned"] = "inline"


class FinetuneConfig(_Section):
    # Where datasets are uploaded and job outputs land, unless --s3 says otherwise.
    s3: str | None = None
    role_arn: str | None = None
    region: str | None = None
    # SageMaker + ms-swift: a training image with ms-swift (or pip access to install it).
    sagemaker_image: str = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker"
    instance_type: str = "ml.g6.8xlarge"
    spot: bool = True
    max_hours: int = Field(12, ge=1, le=28 * 24)


class WorkspaceConfig(_Section):
    name: str = "curator"
    store: StoreConfig = StoreConfig()
    blobs: BlobsConfig = BlobsConfig()
    ingest: IngestConfig = IngestConfig()
    ocr: OcrConfig = OcrConfig()
    triage: TriageConfig = TriageConfig()
    teacher: TeacherConfig = TeacherConfig()
    review: ReviewConfig = ReviewConfig()
    finetune: FinetuneConfig = FinetuneConfig()


class ConfigError(ValueError):
    """The workspace configuration file is missing or invalid."""


def load_config(root: Path) -> WorkspaceConfig:
    path = root / CONFIG_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no {CONFIG_FILE} here; run `curator init {root}` first") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    try:
        return WorkspaceConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from exc


def save_config(root: Path, config: WorkspaceConfig) -> Path:
    """Write ``curator.toml`` readable by its owner only: it can hold a database password."""
    path = root / CONFIG_FILE
    text = tomli_w.dumps(config.model_dump(mode="json", exclude_none=True))
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)  # an older, world-readable file is tightened too
    return path
