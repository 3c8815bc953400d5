"""Evaluation: base versus fine-tuned, field by field, with the seeds' metrics."""
