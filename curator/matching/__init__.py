"""The match stage: ERP records linked to their documents, with evidence, and people's decisions."""
