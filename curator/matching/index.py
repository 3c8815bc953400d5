"""The candidate index of a matching run, on disk: memory stays flat as the archive grows.

A million documents' evidence does not fit in memory (about 20 KB each), and neither does an
inverted index of Python dicts over them. A run therefore keeps its working sets in a scratch
SQLite file (stdlib ``sqlite3``, in the system's temporary folder, deleted when the run ends),
whatever store the workspace uses:

- ``tokens(token, doc)``: the blocking keys of every document (identifiers, amounts, dates,
  name words, file-name parts) as 64-bit hashes, indexed by token once filled -- an integer
  index is a third the size of a text one, so it stays in the page cache longer (a collision
  only adds a candidate that scoring then rejects);
- ``records(id, row, mapped)``: each record's raw row and mapped values, written once;
- ``candidates(doc, record)``: the short candidate list of every record, indexed by document,
  so scoring walks the documents in order and builds each document's evidence once.

Everything is streamed in batches; only one batch of documents' evidence is in memory at a time.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

# SQLite allows 32,766 bound parameters since 3.32; stay well below.
_CHUNK = 900


def token_id(token: str) -> int:
    """A blocking token as a signed 64-bit integer. Python's own string hash: ten times cheaper
    than a cryptographic one, and the index lives and dies with the process that fills it (the
    hash differs between processes, so the index must never be shared)."""
    return hash(token)


class CandidateIndex:
    """A scratch SQLite file for one matching run (a context manager: removed on exit)."""

    def __init__(self, folder: str | Path | None = None) -> None:
        handle, name = tempfile.mkstemp(prefix="curator-match-", suffix=".sqlite", dir=folder)
        os.close(handle)
        self.path = Path(name)
        self.db = sqlite3.connect(self.path)
        # Scratch data: a crash loses only this run's index, which the next run rebuilds.
        self.db.executescript("""
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            PRAGMA temp_store = FILE;
            PRAGMA cache_size = -131072;
            PRAGMA threads = 2;
            CREATE TABLE docs (id INTEGER PRIMARY KEY, sha TEXT NOT NULL);
            CREATE TABLE tokens (token INTEGER NOT NULL, doc INTEGER NOT NULL);
            CREATE TABLE records (id INTEGER PRIMARY KEY, row TEXT NOT NULL, mapped TEXT NOT NULL);
            CREATE TABLE candidates (doc INTEGER NOT NULL, record INTEGER NOT NULL);
        """)

    def __enter__(self) -> CandidateIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()
        self.path.unlink(missing_ok=True)

    # documents -----------------------------------------------------------------------------
    def add_document(self, number: int, sha: str, tokens: Iterable[str]) -> None:
        self.db.execute("INSERT INTO docs (id, sha) VALUES (?, ?)", (number, sha))
        self.db.executemany("INSERT INTO tokens (token, doc) VALUES (?, ?)", ((token_id(t), number) for t in tokens))

    def frequent_tokens(self, above: int) -> dict[int, int]:
        """Index the tokens; return those on more than ``above`` documents, with their counts."""
        # Covering (token, doc): a lookup reads the index alone. With (token) only, every posting
        # was a random read of the table row for its doc, and at 100k documents that made the
        # lookups 61x slower than at 10k instead of 10x.
        self.db.execute("CREATE INDEX tokens_by_token ON tokens (token, doc)")
        self.db.commit()
        return dict(self.db.execute("SELECT token, count(*) FROM tokens GROUP BY token HAVING count(*) > ?",
                                    (above,)).fetchall())

    def postings(self, tokens: set[int]) -> dict[int, list[int]]:
        """token id -> the documents that hold it, for a batch of records' tokens at once."""
        out: dict[int, list[int]] = {}
        ordered = sorted(tokens)
        for start in range(0, len(ordered), _CHUNK):
            chunk = ordered[start:start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for token, doc in self.db.execute(f"SELECT token, doc FROM tokens WHERE token IN ({marks})", chunk):
                out.setdefault(token, []).append(doc)
        return out

    # records and candidates ----------------------------------------------------------------
    def add_record(self, record_id: int, row: dict[str, Any], mapped: dict[str, Any], candidates: list[int]) -> None:
        self.db.execute("INSERT INTO records (id, row, mapped) VALUES (?, ?, ?)",
                        (record_id, json.dumps(row, default=str), json.dumps(mapped, default=str)))
        self.db.executemany("INSERT INTO candidates (doc, record) VALUES (?, ?)", ((d, record_id) for d in candidates))

    def finish_candidates(self) -> int:
        self.db.execute("CREATE INDEX candidates_by_doc ON candidates (doc, record)")  # covering, as above
        self.db.commit()
        return self.db.execute("SELECT count(*) FROM candidates").fetchone()[0]

    def document_batches(self, size: int) -> Iterator[list[tuple[int, str]]]:
        """The documents that are some record's candidate, in batches of ``size``."""
        last = -1
        while True:
            rows = self.db.execute(
                # EXISTS walks the candidates' index per document; an IN (subquery) would rebuild
                # the whole candidate set for every batch (quadratic in the archive).
                "SELECT id, sha FROM docs WHERE id > ? AND EXISTS (SELECT 1 FROM candidates WHERE doc = docs.id) "
                "ORDER BY id LIMIT ?",
                (last, size)).fetchall()
            if not rows:
                return
            yield rows
            last = rows[-1][0]

    def candidates_of(self, first: int, last: int) -> list[tuple[int, int]]:
        """(doc, record) pairs for the documents numbered ``first``..``last``."""
        return self.db.execute("SELECT doc, record FROM candidates WHERE doc BETWEEN ? AND ?", (first, last)).fetchall()

    def records(self, ids: Iterable[int]) -> dict[int, tuple[dict[str, Any], dict[str, Any]]]:
        out = {}
        ordered = sorted(set(ids))
        for start in range(0, len(ordered), _CHUNK):
            chunk = ordered[start:start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for record_id, row, mapped in self.db.execute(
                    f"SELECT id, row, mapped FROM records WHERE id IN ({marks})", chunk):
                out[record_id] = (json.loads(row), json.loads(mapped))
        return out
