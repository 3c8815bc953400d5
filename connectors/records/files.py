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
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from connectors.records.base import Row, RowProblem

SNIFF_BYTES = 64 * 1024
DELIMITERS = ",;\t|"


def detect_encoding(head: bytes) -> str:
    return guess_encoding(head)[0]


def guess_encoding(head: bytes) -> tuple[str, bool]:
    """The encoding of an export's first bytes, and whether the guess is sure.

    UTF-8 (with or without BOM) and UTF-16 BOMs are sure. Otherwise ERP downloads in Western
    Europe are almost always Windows-1252: when it decodes the sample it is taken (sure);
    when a few bytes do not fit it (a stray byte in a Latin-1 file), cp1252 is still taken,
    unsure, so the odd line is quarantined instead of the whole file being read in a code page
    that turns "Müßig" into "Müكig". Statistical detection decides only for files that are
    clearly something else.
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", True
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", True
    try:
        head.decode("utf-8")
        return "utf-8", True
    except UnicodeDecodeError as exc:
        if exc.start > len(head) - 4:  # a multi-byte character cut by the sample's end
            return "utf-8", True
    undecodable = sum(1 for byte in head if byte in _CP1252_HOLES)
    if not undecodable:
        return "cp1252", True
    if undecodable <= max(3, len(head) // 1000):
        return "cp1252", False
    from charset_normalizer import from_bytes

    best = from_bytes(head).best()
    return (best.encoding, False) if best else ("cp1252", False)


_CP1252_HOLES = frozenset({0x81, 0x8D, 0x8F, 0x90, 0x9D})  # the bytes cp1252 leaves undefined


def detect_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        return max(DELIMITERS, key=first.count)


class SourceFileError(ValueError):
    """The export as a whole cannot be read: the message names the file and the reason."""


class CsvSource:
    def __init__(self, path: str | Path, *, name: str | None = None, delimiter: str | None = None,
                 encoding: str | None = None) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self.name = name or self.path.stem.lower()
        self.delimiter = delimiter
        if encoding is not None:
            try:
                codecs.lookup(encoding)
            except LookupError:
                raise SourceFileError(f"{self.location}: unknown encoding {encoding!r}") from None
        self.encoding = encoding
        self.warnings: list[str] = []

    def records(self) -> Iterator[Row | RowProblem]:
        try:
            with open(self.path, "rb") as raw:
                head = raw.read(SNIFF_BYTES)
        except OSError as exc:
            raise SourceFileError(f"{self.location}: cannot read the file: {exc.strerror}") from None
        encoding = self.encoding
        if encoding is None:
            encoding, sure = guess_encoding(head)
            if not sure:
                self.warnings.append(f"{self.location}: not sure of the encoding; read as {encoding} (lines that do "
                                     f"not fit it are quarantined). Declare it with encoding = \"...\" in --config "
                                     "if it is another")
        sample = head.decode(encoding, errors="ignore")
        delimiter = self.delimiter or detect_delimiter(sample)
        undecodable: list[tuple[int, str]] = []  # (line, reason), filled as lines are read
        with open(self.path, "rb") as handle:
            reader = csv.reader(_checked_lines(handle, encoding, undecodable), delimiter=delimiter)
            header = None
            while True:
                try:
                    values = next(reader)
                except StopIteration:
                    values = None
                except csv.Error as exc:
                    yield RowProblem(self.location, reader.line_num, f"unreadable CSV: {exc}")
                    continue
                while undecodable:
                    line, reason = undecodable.pop(0)
                    yield RowProblem(self.location, line, reason)
                if values is None:
                    return
                line_no = reader.line_num
                if not values or all(not v.strip() for v in values):
                    continue
                if header is None:
                    header = [column.strip() for column in values]
                    continue
                if len(values) != len(header):
                    yield RowProblem(
                        self.location, line_no,
                        f"{len(values)} fields where the header has {len(header)}",
                        raw=delimiter.join(values)[:500],
                    )
                    continue
                yield Row(line_no, dict(zip(header, (v.strip() for v in values))))


def _checked_lines(handle: io.BufferedReader, encoding: str, undecodable: list[tuple[int, str]]) -> Iterator[str]:
    """Lines of a text file, each decoded on its own: a line with a byte that does not fit the
    encoding is noted in ``undecodable`` (and read as an empty line), so it is one problem
    (that row), not the end of the file."""
    if codecs.lookup(encoding).name.startswith("utf-16"):  # two-byte units: the codec splits the lines
        text = io.TextIOWrapper(handle, encoding=encoding, errors="strict", newline="")
        number = 0
        while True:
            number += 1
            try:
                line = text.readline()
            except UnicodeDecodeError as exc:
                undecodable.append((number, f"bytes that are not {encoding}: {exc.reason}"))
                return
            if not line:
                return
            yield line
    decoder = codecs.getincrementaldecoder(encoding)
    for number, raw in enumerate(handle, start=1):
        try:
            yield decoder(errors="strict").decode(raw, final=True)
        except UnicodeDecodeError as exc:
            undecodable.append((number, f"bytes that are not {encoding}: {exc.reason} (byte 0x{raw[exc.start]:02x})"))
            yield "\n"


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


# An XLSX is a zip of XML: its directory says how large each part will be once inflated,
# so a zip bomb is refused before a byte is decompressed.
MAX_XLSX_INFLATED = 512 * 1024 * 1024
MAX_XLSX_RATIO = 200  # inflated / compressed, for parts over 1 MB
MAX_XLSX_PARTS = 10_000


def check_zip_archive(path: Path, location: str) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except zipfile.BadZipFile:
        raise SourceFileError(f"{location}: not an XLSX workbook (not a zip archive)") from None
    except OSError as exc:
        raise SourceFileError(f"{location}: cannot read the file: {exc.strerror}") from None
    if len(parts) > MAX_XLSX_PARTS:
        raise SourceFileError(f"{location}: {len(parts):,} parts in the workbook, over the limit of {MAX_XLSX_PARTS:,}")
    inflated = sum(part.file_size for part in parts)
    if inflated > MAX_XLSX_INFLATED:
        raise SourceFileError(f"{location}: would inflate to {inflated:,} bytes, over the limit of "
                              f"{MAX_XLSX_INFLATED:,} (a zip bomb, or export it as CSV)")
    for part in parts:
        if part.file_size > 1 << 20 and part.file_size > MAX_XLSX_RATIO * max(part.compress_size, 1):
            raise SourceFileError(f"{location}: part {part.filename} inflates {part.file_size // max(part.compress_size, 1)}"
                                  f"-fold, over the limit of {MAX_XLSX_RATIO} (a zip bomb)")


class XlsxSource:
    def __init__(self, path: str | Path, *, name: str | None = None, sheet: str | None = None) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self.name = name or self.path.stem.lower()
        self.sheet = sheet
        self.warnings: list[str] = []

    def records(self) -> Iterator[Row | RowProblem]:
        import openpyxl

        check_zip_archive(self.path, self.location)
        try:
            workbook = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise SourceFileError(f"{self.location}: not a readable XLSX workbook ({type(exc).__name__}: "
                                  f"{str(exc)[:120]})") from None
        try:
            try:
                sheet = workbook[self.sheet] if self.sheet else workbook.worksheets[0]
            except (KeyError, IndexError):
                raise SourceFileError(f"{self.location}: no sheet {self.sheet!r} (sheets: "
                                      f"{', '.join(workbook.sheetnames)})") from None
            rows = sheet.iter_rows(values_only=True)
            header = [str(c).strip() if c is not None else "" for c in next(rows, [])]
            for number, values in enumerate(rows, start=2):
                if values is None or all(v is None for v in values):
                    continue
                if len(values) > len(header) and any(v is not None for v in values[len(header):]):
                    yield RowProblem(self.location, number, "values beyond the last header column")
                    continue
                yield Row(number, {column: _cell(value) for column, value in zip(header, values) if column})
        finally:
            workbook.close()


class ParquetSource:
    """Rows of a Parquet file, in batches. Columns are checked against what the mapping reads
    from them (``expect``: column -> ``date``, ``number`` or ``text``) before any row is read:
    a list, a struct or raw bytes where the mapping wants a value is refused, with the column."""

    def __init__(self, path: str | Path, *, name: str | None = None, batch_size: int = 10_000,
                 expect: dict[str, str] | None = None) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self.name = name or self.path.stem.lower()
        self.batch_size = batch_size
        self.expect = dict(expect or {})
        self.warnings: list[str] = []

    def _check_types(self, schema) -> None:  # noqa: ANN001 - a pyarrow schema
        import pyarrow.types as t

        problems = []
        for column in schema.names:
            kind = schema.field(column).type
            wanted = self.expect.get(column)
            if t.is_nested(kind) or t.is_binary(kind) or t.is_large_binary(kind):
                problems.append(f"column {column} is {kind}, not a value")
            elif wanted == "number" and not (t.is_integer(kind) or t.is_floating(kind) or t.is_decimal(kind)
                                             or t.is_string(kind) or t.is_large_string(kind)):
                problems.append(f"column {column} is {kind}; the mapping reads a number from it")
            elif wanted == "date" and not (t.is_date(kind) or t.is_timestamp(kind) or t.is_string(kind)
                                           or t.is_large_string(kind) or t.is_integer(kind)):
                problems.append(f"column {column} is {kind}; the mapping reads a date from it")
        if problems:
            raise SourceFileError(f"{self.location}: " + "; ".join(problems))

    def records(self) -> Iterator[Row | RowProblem]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            parquet = pq.ParquetFile(self.path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise SourceFileError(f"{self.location}: not a readable Parquet file ({str(exc)[:120]})") from None
        self._check_types(parquet.schema_arrow)
        number = 0
        for batch in parquet.iter_batches(batch_size=self.batch_size):
            for row in batch.to_pylist():
                number += 1
                yield Row(number, {key: _parquet_cell(value) for key, value in row.items()})


def _parquet_cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)  # exact, as SQL and OData decimals are kept
    return _cell(value)
