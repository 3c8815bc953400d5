"""ERP bootstrap: pull records, match them to documents, map them to labels."""
