"""Document ingest: identify, validate, render and index source files."""
