"""Reading and writing xlsx files that people upload and download.

Reading uses python-calamine (fast, Rust); writing uses openpyxl. Uploaded files are
treated as hostile until proven otherwise: ``check_container`` inspects the zip container
before any parser sees it, and ``iter_rows`` scans the chosen sheet's XML for the cells it
really holds (and the size it claims) before calamine materialises anything. Every refusal
is an ``XlsxRefused`` with a plain-Chinese message and a stable ``code``; it happens before
the first row is yielded, so an importer that consumes ``iter_rows`` never sees part of a
refused file.

Typical import::

    rows = iter_rows(upload)
    header_row, columns, data = find_header(rows, ALIASES, REQUIRED)
    for row_number, values in data:
        name = cell_text(values[columns["name"]])
        ...
"""

from __future__ import annotations

import datetime as dt
import io
import os
import posixpath
import re
import struct
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import python_calamine
from defusedxml import ElementTree
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.http import content_disposition_header

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Rows a sheet may have above its data (title rows, the header, notes).
HEADER_ROOM = 10
# Small entries compress very well without being hostile; the ratio cap applies above this.
_RATIO_MIN_SIZE = 1024 * 1024
# workbook.xml and its rels are parsed as a tree; real ones are a few kilobytes.
_MAX_TREE_XML = 5 * 1024 * 1024
# The central directory of an honest xlsx stays far below this per entry.
_MAX_CD_BYTES_PER_ENTRY = 1024
_CHUNK = 1024 * 1024
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")


class XlsxRefused(ValidationError):
    """An uploaded file we will not read; ``code`` says why, the message says it in Chinese."""


@dataclass(frozen=True)
class Limits:
    """Caps for uploaded files.

    ``max_rows`` counts data rows; the sheet may have ``HEADER_ROOM`` more rows for
    titles and the header. ``max_ratio`` applies to entries larger than 1 MiB.
    """

    max_bytes: int = 20 * 1024 * 1024  # file size
    max_entries: int = 1000  # zip entries
    max_uncompressed: int = 200 * 1024 * 1024  # sum of entry sizes
    max_ratio: int = 100  # per entry uncompressed/compressed
    max_rows: int = 200_000  # data rows
    max_cols: int = 60


DEFAULT_LIMITS = Limits()


def _refuse(code: str, message: str, **params) -> XlsxRefused:
    return XlsxRefused(message, code=code, params=params or None)


def _not_xlsx() -> XlsxRefused:
    return _refuse(
        "not_xlsx",
        "文件不是有效的 Excel 工作簿（.xlsx）。如果是 .xls、.csv 或 WPS 格式，"
        "请在 Excel 或 WPS 中“另存为” .xlsx 后再上传。",
    )


def _bomb() -> XlsxRefused:
    return _refuse(
        "zip_bomb",
        "文件结构异常（解压后体积过大或内部文件过多），已拒绝读取。"
        "请另存为普通的 .xlsx 文件后再上传。",
    )


# --- container ---------------------------------------------------------------------


class _Source:
    """A path or a seekable file object, opened for binary reading and rewound."""

    def __init__(self, fileobj_or_path):
        self._own = isinstance(fileobj_or_path, str | os.PathLike)
        self.path = os.fspath(fileobj_or_path) if self._own else None
        self.file = open(self.path, "rb") if self._own else fileobj_or_path  # noqa: SIM115

    def __enter__(self):
        self.file.seek(0)
        return self.file

    def __exit__(self, *exc):
        if self._own:
            self.file.close()
        else:
            self.file.seek(0)


def _size(file) -> int:
    file.seek(0, io.SEEK_END)
    size = file.tell()
    file.seek(0)
    return size


def _eocd_entry_count(file, size: int) -> tuple[int, int]:
    """Entry count and central-directory size claimed by the end-of-central-directory record."""
    tail_len = min(size, 22 + 65535)
    file.seek(size - tail_len)
    tail = file.read(tail_len)
    pos = tail.rfind(b"PK\x05\x06")
    if pos < 0 or len(tail) - pos < 22:
        raise _not_xlsx()
    _disk, _cd_disk, _n_disk, total, cd_size, _cd_off, _comment = struct.unpack(
        "<HHHHIIH", tail[pos + 4 : pos + 22]
    )
    return total, cd_size


def _contains(file, needle: bytes) -> bool:
    file.seek(0)
    tail = b""
    while chunk := file.read(_CHUNK):
        if needle in tail + chunk:
            return True
        tail = chunk[-len(needle) :]
    return False


def _open_checked(file, limits: Limits) -> zipfile.ZipFile:
    """The zip archive, its size, entries and declared sizes checked (nothing inflated)."""
    size = _size(file)
    if size > limits.max_bytes:
        raise _refuse(
            "too_large",
            "文件太大（%(size)s MB），上限为 %(limit)s MB。请拆分后分批上传。",
            size=round(size / 1024 / 1024, 1),
            limit=round(limits.max_bytes / 1024 / 1024, 1),
        )
    head = file.read(8)
    file.seek(0)
    if head.startswith(_OLE_MAGIC):
        # Password-protected xlsx files are OLE containers holding an EncryptedPackage;
        # any other OLE file is an old .xls (or .doc).
        if _contains(file, _ENCRYPTED_PACKAGE):
            raise _refuse(
                "encrypted", "文件设置了打开密码，请取消密码后另存为 .xlsx 再上传。"
            )
        raise _not_xlsx()
    if not head.startswith(b"PK\x03\x04"):
        raise _not_xlsx()
    # Count entries from the end record before zipfile builds one object per entry.
    total, cd_size = _eocd_entry_count(file, size)
    if (
        total > limits.max_entries
        or cd_size > limits.max_entries * _MAX_CD_BYTES_PER_ENTRY
    ):
        raise _bomb()
    file.seek(0)
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _not_xlsx() from None
    infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise _bomb()
    uncompressed = 0
    for info in infos:
        uncompressed += info.file_size
        if uncompressed > limits.max_uncompressed:
            raise _bomb()
        if info.file_size > _RATIO_MIN_SIZE and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            raise _bomb()
        if info.flag_bits & 0x1:
            raise _refuse(
                "encrypted", "文件设置了密码保护，请取消密码后另存为 .xlsx 再上传。"
            )
    names = {info.filename.lower() for info in infos}
    if "[content_types].xml" not in names or "xl/workbook.xml" not in names:
        raise _not_xlsx()
    return archive


def _check_open(file, limits: Limits) -> zipfile.ZipFile:
    archive = _open_checked(file, limits)
    _inflate_all(archive)
    return archive


@contextmanager
def _inflating():
    """Errors met while inflating an entry, as refusals."""
    try:
        yield
    except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError):
        raise _not_xlsx() from None
    except RuntimeError:  # "File is encrypted"
        raise _refuse(
            "encrypted", "文件设置了密码保护，请取消密码后另存为 .xlsx 再上传。"
        ) from None


def _inflate_all(archive: zipfile.ZipFile, skip: str | None = None) -> None:
    """Inflate every entry once, bounded by its declared size.

    zipfile stops at the declared size and checks the CRC, so the sizes checked when
    opening are the sizes the parser will see. ``skip`` is an entry the caller reads
    through to its end itself (the sheet ``_scan_sheet`` scans).
    """
    for info in archive.infolist():
        if info.is_dir() or info.filename == skip:
            continue
        with _inflating(), archive.open(info) as entry:
            while entry.read(_CHUNK):
                pass


def check_container(fileobj_or_path, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse files that are not xlsx by content, too large, encrypted or zip bombs.

    Raises ``XlsxRefused`` with code ``too_large``, ``not_xlsx``, ``zip_bomb`` or
    ``encrypted``. A file object is rewound afterwards.
    """
    with _Source(fileobj_or_path) as file:
        _check_open(file, limits).close()


# --- sheet scan --------------------------------------------------------------------

_TOKEN = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(dimension|row|c)\b([^>]*)>")
_R_ATTR = re.compile(rb'(?:^|\s)r\s*=\s*["\']([A-Za-z]{0,3})(\d*)["\']')
_REF_ATTR = re.compile(rb'(?:^|\s)ref\s*=\s*["\']([^"\']*)["\']')
_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


def _column_number(letters: str) -> int:
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - 64
    return number


def _too_many_rows(limits: Limits) -> XlsxRefused:
    return _refuse(
        "too_many_rows",
        "表格行数超过上限（最多 %(limit)s 行数据），请拆分后分批上传。",
        limit=limits.max_rows,
    )


def _too_many_columns(limits: Limits) -> XlsxRefused:
    return _refuse(
        "too_many_columns",
        "表格列数超过上限（最多 %(limit)s 列），请删除多余的列后再上传。",
        limit=limits.max_cols,
    )


def _check_extent(row: int, col: int, limits: Limits) -> None:
    if col > limits.max_cols:
        raise _too_many_columns(limits)
    if row > limits.max_rows + HEADER_ROOM:
        raise _too_many_rows(limits)


def _sheet_path(archive: zipfile.ZipFile, sheet: int | str) -> tuple[str, int]:
    """The zip entry of a sheet (by index or name) and its index in workbook order."""
    names = {info.filename.lower(): info for info in archive.infolist()}

    def tree(name):
        info = names.get(name.lower())
        if info is None or info.file_size > _MAX_TREE_XML:
            raise _not_xlsx()
        try:
            return ElementTree.fromstring(archive.read(info))
        except Exception:  # defusedxml and expat raise several kinds
            raise _not_xlsx() from None

    def local(name: str) -> str:
        return name.rsplit("}", 1)[-1]

    sheets = []
    for element in tree("xl/workbook.xml").iter():
        if local(element.tag) == "sheet":
            rid = next((v for k, v in element.attrib.items() if local(k) == "id"), None)
            sheets.append((element.get("name"), rid))
    if isinstance(sheet, str):
        index = next((i for i, (n, _) in enumerate(sheets) if n == sheet), None)
    else:
        index = sheet if 0 <= sheet < len(sheets) else None
    if index is None:
        raise _refuse("sheet_not_found", "找不到要读取的工作表。")
    targets = {
        element.get("Id"): element.get("Target", "")
        for element in tree("xl/_rels/workbook.xml.rels").iter()
        if local(element.tag) == "Relationship"
    }
    target = targets.get(sheets[index][1])
    if not target:
        raise _not_xlsx()
    path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    path = posixpath.normpath(path).lower()
    if path not in names:
        raise _not_xlsx()
    return names[path].filename, index


# Every cell tag as nearly every producer writes it (Excel, WPS, LibreOffice, openpyxl):
# ``<c r="B12" ...>``, its reference first. A chunk whose cell tags all look like this
# is checked with a few regex scans instead of a Python step per tag.
_ODD_CELL = re.compile(rb'<c(?! r="[A-Z]{1,3}\d+")(?!\w)')
_PREFIXED_CELL = re.compile(rb"<[A-Za-z_][\w.-]*:c\b")
_DIMENSION = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?dimension\b([^>]*)>")


def _letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _far_cells(limits: Limits) -> re.Pattern:
    """Non-empty ``<c r=...>`` tags that may lie past the caps (a superset of those that do).

    Any column past ``max_cols`` has at least as many letters as the first one past it,
    any row past the cap at least as many digits: what does not look that long is in.
    """
    letters = len(_letters(limits.max_cols + 1))
    digits = len(str(limits.max_rows + HEADER_ROOM + 1))
    return re.compile(
        rb'<c r="(?=[A-Z]{%d}|[A-Z]{1,3}\d{%d})([A-Z]{1,3})(\d+)"[^>]*(?<!/)>'
        % (letters, digits)
    )


def _scan_sheet(archive: zipfile.ZipFile, path: str, limits: Limits) -> None:
    """Refuse a sheet whose claimed or real extent passes the caps, reading its XML once.

    The common case (every cell tag written ``<c r="B12" ...>``) is checked chunk by
    chunk with regex scans that only surface cells that may be too far out; anything
    else (a tag without its reference, a namespace prefix, a cell or claim that may be
    past the caps) sends the whole sheet to ``_scan_sheet_exact``, which gives the
    verdict, so both paths refuse exactly the same files.
    """
    far = _far_cells(limits)
    max_row = limits.max_rows + HEADER_ROOM
    pending = b""
    with archive.open(path) as stream:
        while chunk := stream.read(_CHUNK):
            buffer = pending + chunk
            end = buffer.rfind(b">") + 1
            buffer, pending = buffer[:end], buffer[end:]
            if (
                len(pending) > _CHUNK
                or _ODD_CELL.search(buffer)
                or (b":c" in buffer and _PREFIXED_CELL.search(buffer))
            ):
                return _scan_sheet_exact(archive, path, limits)
            if b"dimension" in buffer:
                for attrs in _DIMENSION.findall(buffer):
                    try:
                        _check_dimension(attrs, limits)
                    except XlsxRefused:
                        return _scan_sheet_exact(archive, path, limits)
            for letters, digits in far.findall(buffer):
                if (
                    int(digits) > max_row
                    or _column_number(letters.decode()) > limits.max_cols
                ):
                    return _scan_sheet_exact(archive, path, limits)
    return None


def _check_dimension(attrs: bytes, limits: Limits) -> None:
    ref = _REF_ATTR.search(attrs)
    last = ref.group(1).decode("ascii", "replace").split(":")[-1] if ref else ""
    match = _CELL_REF.match(last)
    if match:
        _check_extent(int(match.group(2)), _column_number(match.group(1)), limits)


def _scan_sheet_exact(archive: zipfile.ZipFile, path: str, limits: Limits) -> None:
    """``_scan_sheet`` for any shape of sheet XML, one Python step per row and cell tag.

    The ``<dimension>`` claim comes first in the file, so a sheet claiming a million
    rows or columns is refused after the first chunk. Cells that hold a value (calamine
    skips self-closing empty ones) are then located by their ``r`` attribute, or by
    position when a producer leaves it out.
    """
    row = col = 0
    pending = b""
    with archive.open(path) as stream:
        while chunk := stream.read(_CHUNK):
            buffer = pending + chunk
            end = buffer.rfind(b">") + 1
            buffer, pending = buffer[:end], buffer[end:]
            if len(pending) > _CHUNK:  # one tag longer than a megabyte
                raise _not_xlsx()
            for name, attrs in _TOKEN.findall(buffer):
                if name == b"c":
                    ref = _R_ATTR.search(attrs)
                    if ref and ref.group(1):
                        col = _column_number(ref.group(1).decode())
                        if ref.group(2):
                            row = int(ref.group(2))
                    else:
                        col += 1
                    if not attrs.endswith(b"/"):
                        _check_extent(row, col, limits)
                elif name == b"row":
                    ref = _R_ATTR.search(attrs)
                    row = int(ref.group(2)) if ref and ref.group(2) else row + 1
                    col = 0
                else:
                    _check_dimension(attrs, limits)


# --- reading -----------------------------------------------------------------------


def iter_rows(
    fileobj_or_path, limits: Limits = DEFAULT_LIMITS, sheet: int | str = 0
) -> Iterator[tuple[int, list]]:
    """Yield ``(excel_row_number, values)`` for every row of a sheet, from row 1.

    Values are what calamine reads (str, float, bool, date, datetime, time, timedelta;
    "" for an empty cell); index 0 is column A. The container and the sheet's extent are
    checked before the first row is yielded; refusals are ``XlsxRefused``.
    """
    with _Source(fileobj_or_path) as file:
        with _open_checked(file, limits) as archive:
            path, index = _sheet_path(archive, sheet)
            _inflate_all(archive, skip=path)
            with _inflating():  # the scan reads the sheet through: inflated too
                _scan_sheet(archive, path, limits)
        file.seek(0)
        try:
            workbook = python_calamine.CalamineWorkbook.from_filelike(file)
        except python_calamine.PasswordError:
            raise _refuse(
                "encrypted", "文件设置了密码保护，请取消密码后另存为 .xlsx 再上传。"
            ) from None
        except (python_calamine.CalamineError, ValueError, OSError):
            raise _not_xlsx() from None
        with workbook:
            try:
                worksheet = workbook.get_sheet_by_index(index)
            except python_calamine.WorksheetNotFound:
                raise _refuse("sheet_not_found", "找不到要读取的工作表。") from None
            except (python_calamine.CalamineError, ValueError):
                raise _not_xlsx() from None
            start = worksheet.start
            end = worksheet.end
            if start is None or end is None:
                return
            # calamine's rows begin at row 1 but at the first used column.
            _check_extent(end[0] + 1, end[1] + 1, limits)
            padding = [""] * start[1]
            max_row = limits.max_rows + HEADER_ROOM
            max_width = limits.max_cols - len(padding)
            for number, values in enumerate(worksheet.iter_rows(), start=1):
                if number > max_row or len(values) > max_width:
                    _check_extent(number, len(padding) + len(values), limits)
                yield number, (padding + values if padding else values)


def cell_text(value) -> str:
    """A cell value as the text a person typed: NFKC, outer whitespace stripped.

    Integral numbers lose their ".0" (a phone number read as 13800001111.0). A number of
    16 or more digits was an ID number that Excel rounded; it comes back in scientific
    notation (``5.20102199001011E+17``) so ``validators.parse_id_number`` refuses it
    instead of accepting the wrong digits.
    """
    if value.__class__ is str:  # most cells: text, or "" when empty
        if value.isascii():  # NFKC leaves ASCII as it is
            return value.strip()
        return unicodedata.normalize("NFKC", value).strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        if abs(value) >= 1e15:
            # Excel keeps 15 significant digits; show what is left, never the guess.
            mantissa, exponent = f"{value:.14E}".split("E")
            mantissa = mantissa.rstrip("0").rstrip(".")
            return f"{mantissa}E{exponent}"
        return format(value, ".15g")
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return unicodedata.normalize("NFKC", str(value)).strip()


_DATE_SEPARATED = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def parse_date(value) -> dt.date:
    """A date from an Excel date cell or text such as 2024-05-01, 2024/5/1, 2024年5月1日."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = cell_text(value)
    match = _DATE_SEPARATED.match(text) or _DATE_COMPACT.match(text)
    if match:
        try:
            return dt.date(*(int(part) for part in match.groups()))
        except ValueError:
            pass
    raise ValidationError(
        "日期“%(value)s”无法识别或不存在，请填写如 2024-05-01 的日期。",
        code="date_invalid",
        params={"value": text},
    )


_HEADER_NOISE = re.compile(r"^[*＊]+|(?:[*＊]|\(必填\))+$")


def _header_key(value) -> str:
    text = unicodedata.normalize("NFKC", cell_text(value))
    text = re.sub(r"\s+", "", text)
    return _HEADER_NOISE.sub("", text)


def find_header(
    rows: Iterable[tuple[int, list]],
    aliases: dict[str, set[str]],
    required: set[str],
    scan: int = 10,
) -> tuple[int, dict[str, int], Iterator[tuple[int, list]]]:
    """Find the header among the first ``scan`` non-empty rows (titles often sit above it).

    Header cells match ``aliases[key]`` after removing spaces, NFKC and a leading or
    trailing "*" or "（必填）". Returns the header's row number, ``{key: column_index}``
    for every key found (required or not) and an iterator over the rows after it.
    """
    lookup: dict[str, str] = {}
    for key, names in aliases.items():
        for name in names:
            lookup.setdefault(_header_key(name), key)
    iterator = iter(rows)
    best_missing = set(required)
    seen = 0
    for number, values in iterator:
        if not any(cell_text(v) for v in values):
            continue
        columns: dict[str, int] = {}
        for index, value in enumerate(values):
            key = lookup.get(_header_key(value))
            if key is not None and key not in columns:
                columns[key] = index
        missing = set(required) - columns.keys()
        if not missing:
            return number, columns, iterator
        if len(missing) < len(best_missing):
            best_missing = missing
        seen += 1
        if seen >= scan:
            break

    def label(key):
        names = sorted(aliases.get(key) or {key}, key=lambda n: (len(n), n))
        return names[0]

    raise _refuse(
        "header_not_found",
        "没有找到表头，缺少这些列：%(columns)s。请使用下载的模板，表头放在前 %(scan)s 行内。",
        columns="、".join(sorted(label(k) for k in best_missing)),
        scan=scan,
    )


# --- writing -----------------------------------------------------------------------

_DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Prefix an apostrophe to text a spreadsheet would read as a formula (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(_DANGEROUS_PREFIXES):
        return "'" + value
    return value


# The control characters XML 1.0 cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE).
ILLEGAL_CHARACTERS = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def _export_value(value, text: bool):
    if value is None:
        return None
    if text and not isinstance(value, str):
        value = cell_text(value)
    if isinstance(value, str):
        return neutralise(ILLEGAL_CHARACTERS.sub("", value))
    return value


def _width(value) -> int:
    text = "" if value is None else str(value)
    # CJK characters are about twice as wide as Latin ones.
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def write_xlsx(
    headers: list[str],
    rows: Iterable[Sequence],
    *,
    sheet_title: str = "Sheet1",
    text_columns: set[int] = frozenset(),
    validations: dict[int, list[str]] | None = None,
    sample_row: Sequence | None = None,
) -> bytes:
    """Write one sheet and return the file's bytes.

    Streaming (openpyxl write-only) so a large export needs constant memory besides the
    result. Text columns (ID numbers, phones) are formatted "@" so Excel keeps every
    digit; ``validations`` become drop-down lists on rows 2 to 1001 (templates);
    ``sample_row`` is written first, in grey italics, as an example.
    """
    # openpyxl is imported here, for writing only: the readers (imports) use calamine,
    # and a process that only reads should not pay openpyxl's import at start-up.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31] or "Sheet1")
    for index, header in enumerate(headers):
        letter = get_column_letter(index + 1)
        dimension = sheet.column_dimensions[letter]
        dimension.width = min(max(_width(header) + 4, 10), 50)
        if index in text_columns:
            dimension.width = max(dimension.width, 22)
            dimension.number_format = "@"
    for index, allowed in (validations or {}).items():
        # Excel limits an inline list to 255 characters.
        formula = '"' + ",".join(a.replace('"', "") for a in allowed) + '"'
        validation = DataValidation(
            type="list",
            formula1=formula,
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="输入有误",
            error="请从下拉列表中选择。",
        )
        letter = get_column_letter(index + 1)
        validation.add(f"{letter}2:{letter}1001")
        sheet.data_validations.append(validation)
    sheet.freeze_panes = "A2"

    bold = Font(bold=True)
    grey = Font(italic=True, color="808080")

    def cells(values, font=None):
        out = []
        for index, value in enumerate(values):
            text = index in text_columns
            cell = WriteOnlyCell(sheet, value=_export_value(value, text))
            if text:
                cell.number_format = "@"
            if font is not None:
                cell.font = font
            out.append(cell)
        return out

    sheet.append(cells(headers, bold))
    if sample_row is not None:
        sheet.append(cells(sample_row, grey))
    for values in rows:
        if text_columns:
            sheet.append(cells(values))
        else:
            sheet.append([_export_value(v, False) for v in values])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    """A download response; the Chinese filename survives via RFC 5987 ``filename*``."""
    if not filename.lower().endswith(".xlsx"):
        filename += ".xlsx"
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Content-Length"] = str(len(content))
    response["X-Content-Type-Options"] = "nosniff"
    return response
