"""Trip uploads: their kind, and their size once read, bounded before a job is queued.

A small gzip or Parquet body can expand a hundredfold in a worker; the caps hold on what
the file holds (decompressed bytes and rows), read in a stream, never all at once.
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path

from api.http_errors import ApiProblem
from api.settings import Settings

CHUNK = 1 << 20  # decompressed bytes looked at per step


def upload_suffix(head: bytes) -> str:
    """The file suffix of an upload, from its first bytes."""
    if head.startswith(b"PAR1"):
        return ".parquet"
    if head.startswith(b"\x1f\x8b"):
        return ".csv.gz"
    return ".csv"


def check_trip_upload(raw: bytes, settings: Settings) -> None:
    """Raise a problem (413 bytes, 422 rows or an unreadable file) unless the trips in
    ``raw`` stay within ``training_max_upload_bytes`` and ``training_max_upload_rows``."""
    suffix = upload_suffix(raw[:4])
    if suffix == ".parquet":
        size, rows = _parquet_size(raw)
    elif suffix == ".csv.gz":
        size, rows = _gzip_size(raw, settings.training_max_upload_bytes)
    else:
        size, rows = len(raw), _rows(raw)
    if size > settings.training_max_upload_bytes:
        raise _limit(413, "training_max_upload_bytes", settings.training_max_upload_bytes,
                     size, "bytes of trips once decompressed")
    if rows > settings.training_max_upload_rows:
        raise _limit(422, "training_max_upload_rows", settings.training_max_upload_rows,
                     rows, "trip rows")


def _rows(text: bytes) -> int:
    """Data rows of CSV text (lines after the header; a last line without newline counts)."""
    lines = text.count(b"\n") + (0 if not text or text.endswith(b"\n") else 1)
    return max(0, lines - 1)


def _gzip_size(raw: bytes, max_bytes: int) -> tuple[int, int]:
    """Decompressed bytes and rows of gzip ``raw``, reading at most ``max_bytes + 1``."""
    inflate = zlib.decompressobj(wbits=31)
    size = lines = 0
    data = raw
    last = b""
    try:
        while data and size <= max_bytes:
            chunk = inflate.decompress(data, CHUNK)
            data = inflate.unconsumed_tail
            size += len(chunk)
            lines += chunk.count(b"\n")
            last = chunk[-1:] or last
            if inflate.eof and inflate.unused_data:  # another gzip member follows
                data, inflate = inflate.unused_data, zlib.decompressobj(wbits=31)
        if size <= max_bytes:
            rest = inflate.flush()
            size, lines, last = size + len(rest), lines + rest.count(b"\n"), rest[-1:] or last
            if not inflate.eof:
                raise zlib.error("the file ends before its compressed data does")
    except zlib.error as exc:
        raise _unreadable(f"not a readable gzip file ({exc})") from None
    return size, max(0, lines + (0 if last in (b"\n", b"") else 1) - 1)


def _parquet_size(raw: bytes) -> tuple[int, int]:
    """Uncompressed bytes and rows of a Parquet file, from its footer alone."""
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(io.BytesIO(raw)).metadata
    except Exception as exc:  # noqa: BLE001  (pyarrow raises several types for bad files)
        raise _unreadable(f"not a readable Parquet file ({type(exc).__name__})") from None
    size = sum(meta.row_group(k).total_byte_size for k in range(meta.num_row_groups))
    return size, meta.num_rows


def _limit(status: int, name: str, maximum: int, value: int, noun: str) -> ApiProblem:
    return ApiProblem(status, "limit-exceeded", "Limit exceeded",
                      f"body: {value:,} {noun} exceed the limit {name}={maximum:,}",
                      limit=name, maximum=maximum, value=value,
                      errors=[{"loc": ["body"], "path": "", "msg": f"exceeds the limit "
                               f"{name}={maximum}", "type": "limit_exceeded"}])


def _unreadable(message: str) -> ApiProblem:
    return ApiProblem(422, "validation-error", "Validation error", f"body: {message}",
                      errors=[{"loc": ["body"], "path": "", "msg": message,
                               "type": "value_error"}])


def remove_upload(path: str | None) -> None:
    """Delete a trip upload once it was used (a missing file is fine: already gone)."""
    if path:
        Path(path).unlink(missing_ok=True)
