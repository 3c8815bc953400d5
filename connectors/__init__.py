"""Systems Curator reads from or syncs with: ERP record sources, document sources, Label Studio."""
