"""Teacher models that pre-annotate what the ERP lacks and cross-check what it has."""
