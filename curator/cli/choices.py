"""The names the CLI's help lists, kept here so that `curator --help` loads no domain library.

Each tuple mirrors a registry of the domain (a test keeps them equal): the export writers, the
providers' validation targets, the sample corpora, the built-in mappings.
"""

from __future__ import annotations

EXPORT_FORMATS = ("bedrock-nova", "bedrock-llama32", "swift")  # exports.FORMATS
VALIDATION_TARGETS = ("bedrock-nova", "bedrock-nova2", "bedrock-llama32", "swift")  # curate.validate.TARGETS
CORPORA = ("w2", "invoices")  # samples.corpus.KINDS
BUILTIN_MAPPINGS = ("invoice-sap", "w2-payroll")  # curator/mappings/*.toml
SAGEMAKER_MODEL = "Qwen/Qwen2.5-VL-3B-Instruct"  # finetune.sagemaker.DEFAULT_MODEL
