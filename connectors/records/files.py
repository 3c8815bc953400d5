"""Table exports: CSV/TSV (SE16 and ALV downloads), XLSX and Parquet.

CSV files come in whatever encoding and delimiter the exporting system used; both are
detected (UTF-8 with or without BOM, UTF-16, else the most likely 8-bit code page, which for
SAP downloads in Europe is usually cp1252). Values stay text: numbers and dates are parsed
by the mapping, where the source's conventions are declared.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from connectors.records.base import RowProblem

SNIFF_BYTES = 64 * 1024
DELIMITERS = ",;\t|"


def detect_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start > len(head) - 4:  # a multi-byte character cut by the sample's end
            return "utf-8"
    # Not UTF-8: in ERP downloads that is almost always Windows-1252 (SAP GUI exports in
    # Western Europe). Statistical detection guesses wrong on short samples (a few umlauts
    # read as Turkish), so cp1252 is tried first and detection only decides otherwise
    # when cp1252 cannot decode the bytes at all.
    try:
        head.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(head).best()
    return best.encoding if best else "latin-1"


def detect_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        return max(DELIMITERS, key=first.count)


class CsvSource:
    def __init__(self, path: str | Path, *, name: str | None = None, delimiter: str | None = None,
                 encoding: str | None = None) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self.name = name or self.path.stem.lower()
        self.delimiter = delimiter
        self.encoding = encoding

    def records(self) -> Iterator[dict[str, Any] | RowProblem]:
        with open(self.path, "rb") as raw:
            head = raw.read(SNIFF_BYTES)
        encoding = self.encoding or detect_encoding(head)
        sample = head.decode(encoding, errors="ignore")
        delimiter = self.delimiter or detect_delimiter(sample)
        with open(self.path, encoding=encoding, errors="strict", newline="") as handle:
            reader = csv.reader(_checked_lines(handle, self.location), delimiter=delimiter)
            try:
                header = [column.strip() for column in next(reader)]
            except StopIteration:
                return
            except _UndecodableLine as exc:
                yield RowProblem(self.location, 1, str(exc))
                return
            line_no = 1
            while True:
                try:
                    values = next(reader)
                except StopIteration:
                    return
                except _UndecodableLine as exc:
                    line_no += 1
                    yield RowProblem(self.location, line_no, str(exc))
                    continue
                except csv.Error as exc:
                    line_no = reader.line_num
                    yield RowProblem(self.location, line_no, f"unreadable CSV: {exc}")
                    continue
                line_no = reader.line_num
                if not values or all(not v.strip() for v in values):
                    continue
                if len(values) != len(header):
                    yield RowProblem(
                        self.location, line_no,
                        f"{len(values)} fields where the header has {len(header)}",
                        raw=delimiter.join(values)[:500],
                    )
                    continue
                row = dict(zip(header, (v.strip() for v in values)))
                row["__row__"] = line_no
                yield row


class _UndecodableLine(Exception):
    pass


def _checked_lines(handle: io.TextIOBase, location: str) -> Iterator[str]:
    """Lines of a text file, turning a decoding error into a per-line problem."""
    while True:
        try:
            line = handle.readline()
        except UnicodeDecodeError as exc:
            raise _UndecodableLine(f"bytes that are not {handle.encoding}: {exc.reason}") from exc
        if not line:
            return
        yield line


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


class XlsxSource:
    def __init__(self, path: str | Path, *, name: str | None = None, sheet: str | None = None) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self.name = name or self.path.stem.lower()
        self.sheet = sheet

    def records(self) -> Iterator[dict[str, Any] | RowProblem]:
        import openpyxl

        workbook = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        try:
            sheet = workbook[self.sheet] if self.sheet else workbook.worksheets[0]
            rows = sheet.iter_rows(values_only=True)
            header = [str(c).strip() if c is not None else "" for c in next(rows, [])]
            for number, values in enumerate(rows, start=2):
                if values is None or all(v is None for v in values):
                    continue
                if len(values) > len(header) and any(v is not None for v in values[len(header):]):
                    yield RowProblem(self.location, number, "values beyond the last header column")
                    continue
                row = {column: _cell(value) for column, value in zip(header, values) if column}
                row["__row__"] = number
                yield row
        finally:
            workbook.close()


class ParquetSource:
    def __init__(self, path: str | Path, *, name: str | None = None, batch_size: int = 10_000) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self.name = name or self.path.stem.lower()
        self.batch_size = batch_size

    def records(self) -> Iterator[dict[str, Any] | RowProblem]:
        import pyarrow.parquet as pq

        number = 0
        for batch in pq.ParquetFile(self.path).iter_batches(batch_size=self.batch_size):
            for row in batch.to_pylist():
                number += 1
                row = {key: _cell(value) for key, value in row.items()}
                row["__row__"] = number
                yield row
