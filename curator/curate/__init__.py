"""Curation: triage policies, train/validation/test splits, provider checks, exports."""
