"""Built-in mappings (ERP export -> target JSON) for the synthetic corpora."""
