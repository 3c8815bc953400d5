"""Synthetic corpora that look like the public data sets the seeds used (Fake W-2, FATURA2),
with the historic system exports that go with them. Deterministic by seed."""
