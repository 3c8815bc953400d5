"""Rows written with plain SQL, as an older release's store holds them (for migration tests)."""

from __future__ import annotations

from sqlalchemy import text


def insert_document(connection, sha256: str = "ab", file_name: str = "old.pdf") -> None:
    connection.execute(text(
        "INSERT INTO document (sha256, file_name, source_uri, mime, size_bytes, page_count, status, text_chars,"
        " original_blob, renderer, dpi, created_at) VALUES (:sha, :name, :uri, 'application/pdf', 1, 1, 'ingested',"
        " 0, '', 'pypdfium2', 150, CURRENT_TIMESTAMP)"), {"sha": sha256, "name": file_name, "uri": f"file:///{file_name}"})
