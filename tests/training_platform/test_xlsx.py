"""training_platform.xlsx: tolerant reading, hostile files, safe exports.

Every file is crafted here, in tmp_path, with openpyxl or zipfile.
"""

import datetime as dt
import io
import time
import tracemalloc
import zipfile

import openpyxl
import pytest
from django.core.exceptions import ValidationError

from training_platform import validators
from training_platform.xlsx import (
    Limits,
    XlsxRefused,
    cell_text,
    check_container,
    find_header,
    iter_rows,
    neutralise,
    parse_date,
    write_xlsx,
    xlsx_response,
)

ID_NUMBER = validators.complete_id_number("52010219900101123")

ALIASES = {
    "name": {"姓名"},
    "id_number": {"身份证号", "身份证号码", "公民身份号码"},
    "phone": {"手机号", "联系电话"},
    "start": {"开班日期"},
}
REQUIRED = {"name", "id_number", "phone"}


def _roster(path):
    """A roster the way people send it: title row, header on row 3, messy values."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "2024年第一期电工培训班花名册"
    ws.append([])
    ws.append(["姓 名", "公民身份号码*", "联系电话（必填）", "开班日期", "年龄"])
    ws.append(["  张三 ", ID_NUMBER, 13800001111.0, dt.date(2024, 5, 1), "３５"])
    ws.append(["李四", int(ID_NUMBER[:17] + "1"), "13900002222", "2024/5/1", 35])
    ws.append(
        ["王五", ID_NUMBER.lower(), "１３９００００３３３３", "2024年5月1日", "36"]
    )
    ws.append(["赵六", ID_NUMBER, 13800004444, "2024.5.1", 37])
    ws.append(["钱七", ID_NUMBER, 13800005555, "20240501", 38])
    ws.cell(row=4, column=4).number_format = "yyyy-mm-dd"
    wb.save(path)
    return path


def _xlsx_bytes(rows):
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _rewrite(data: bytes, path, replace: dict[str, bytes] | None = None, extra=()):
    """Copy an xlsx into path, replacing some entries and adding others."""
    replace = replace or {}
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            dst.writestr(info.filename, replace.get(info.filename, src.read(info)))
        for name, content in extra:
            dst.writestr(name, content)
    return path


def _code(excinfo):
    return excinfo.value.code


# --- reading -----------------------------------------------------------------------


def test_roster_with_title_row_reads_and_normalises(tmp_path):
    path = _roster(tmp_path / "花名册.xlsx")
    header_row, columns, data = find_header(iter_rows(path), ALIASES, REQUIRED)
    assert header_row == 3
    assert columns == {"name": 0, "id_number": 1, "phone": 2, "start": 3}
    rows = list(data)
    assert [number for number, _ in rows] == [4, 5, 6, 7, 8]

    first = rows[0][1]
    assert cell_text(first[columns["name"]]) == "张三"
    assert validators.parse_id_number(cell_text(first[1])).number == ID_NUMBER
    assert cell_text(first[2]) == "13800001111"
    assert parse_date(first[3]) == dt.date(2024, 5, 1)
    assert cell_text(first[4]) == "35"  # full-width digits stored as text

    # An ID number Excel stored as a number is refused, never completed by guessing.
    mangled = cell_text(rows[1][1][1])
    assert "E+17" in mangled
    with pytest.raises(ValidationError) as excinfo:
        validators.parse_id_number(mangled)
    assert excinfo.value.code == "id_number_mangled"

    # Lower-case x, full-width digits, numbers stored as text.
    assert validators.normalize(cell_text(rows[2][1][1])) == ID_NUMBER.upper()
    assert cell_text(rows[2][1][2]) == "13900003333"
    assert cell_text(rows[1][1][2]) == "13900002222"

    for _, values in rows[1:]:
        assert parse_date(values[3]) == dt.date(2024, 5, 1)


def test_iter_rows_accepts_file_objects_and_keeps_column_positions(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["C2"] = "x"
    buffer = io.BytesIO()
    wb.save(buffer)
    assert list(iter_rows(buffer)) == [(1, ["", "", ""]), (2, ["", "", "x"])]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("  李 四\u3000", "李 四"),
        ("ＡＢ１２", "AB12"),
        (42, "42"),
        (42.0, "42"),
        (13800001111.0, "13800001111"),
        (1.5, "1.5"),
        (5.201021990010113e17, "5.20102199001011E+17"),
        (dt.date(2024, 5, 1), "2024-05-01"),
        (dt.datetime(2024, 5, 1), "2024-05-01"),
        (True, "是"),
        (False, "否"),
    ],
)
def test_cell_text(value, expected):
    assert cell_text(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "2024-05-01",
        "2024/5/1",
        "2024.5.1",
        "2024年5月1日",
        "20240501",
        "２０２４－０５－０１",
        " 2024-05-01 00:00:00 ",
        20240501.0,
        dt.date(2024, 5, 1),
        dt.datetime(2024, 5, 1, 8, 30),
    ],
)
def test_parse_date_accepts(value):
    assert parse_date(value) == dt.date(2024, 5, 1)


@pytest.mark.parametrize(
    "value", ["2024-02-30", "2024-13-01", "5/1/2024", "明天", "", None, 45413.0]
)
def test_parse_date_refuses(value):
    with pytest.raises(ValidationError) as excinfo:
        parse_date(value)
    assert excinfo.value.code == "date_invalid"


@pytest.mark.parametrize(
    "header", ["身份证号", "身份证号码", "公民身份号码", "*身份证 号"]
)
def test_find_header_aliases(header):
    rows = [(1, ["花名册"]), (2, ["姓名", header, "手机号"]), (3, ["a", "b", "c"])]
    number, columns, data = find_header(rows, ALIASES, REQUIRED)
    assert number == 2
    assert columns == {"name": 0, "id_number": 1, "phone": 2}
    assert list(data) == [(3, ["a", "b", "c"])]


def test_find_header_names_missing_columns():
    rows = [(1, ["花名册"]), (2, ["姓名", "性别"])]
    with pytest.raises(XlsxRefused) as excinfo:
        find_header(rows, ALIASES, REQUIRED)
    assert _code(excinfo) == "header_not_found"
    message = excinfo.value.messages[0]
    assert "身份证号" in message and "手机号" in message and "姓名" not in message


def test_find_header_only_scans_the_first_rows():
    rows = [(n, [f"说明{n}"]) for n in range(1, 12)] + [
        (12, ["姓名", "身份证号", "手机号"])
    ]
    with pytest.raises(XlsxRefused):
        find_header(rows, ALIASES, REQUIRED, scan=10)
    assert find_header(rows, ALIASES, REQUIRED, scan=12)[0] == 12


# --- hostile files -----------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        "姓名,身份证号\n张三,520102199001011234\n".encode(),
        b"just some text",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,
        b"",
    ],
    ids=["csv", "text", "pdf", "xls", "empty"],
)
def test_non_xlsx_content_is_refused_whatever_the_name(tmp_path, content):
    path = tmp_path / "花名册.xlsx"
    path.write_bytes(content)
    with pytest.raises(XlsxRefused) as excinfo:
        check_container(path)
    assert _code(excinfo) == "not_xlsx"
    with pytest.raises(XlsxRefused):
        list(iter_rows(path))


def test_zip_without_xlsx_parts_is_refused(tmp_path):
    path = tmp_path / "a.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
        archive.writestr("[Content_Types].xml", "<Types/>")
    with pytest.raises(XlsxRefused) as excinfo:
        check_container(path)
    assert _code(excinfo) == "not_xlsx"


def test_password_protected_workbook_is_refused(tmp_path):
    path = tmp_path / "a.xlsx"
    # An encrypted xlsx is an OLE file holding an EncryptedPackage stream.
    path.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 1000
        + "EncryptedPackage".encode("utf-16-le")
    )
    with pytest.raises(XlsxRefused) as excinfo:
        check_container(path)
    assert _code(excinfo) == "encrypted"


def test_file_over_the_size_cap_is_refused(tmp_path):
    path = tmp_path / "a.xlsx"
    path.write_bytes(_xlsx_bytes([["姓名"]]) + b"\x00" * 2048)
    with pytest.raises(XlsxRefused) as excinfo:
        check_container(path, Limits(max_bytes=1024))
    assert _code(excinfo) == "too_large"


def _bomb(path, size=300 * 1024 * 1024):
    """A real xlsx plus one entry of `size` zeros, deflated while streaming."""
    _rewrite(_xlsx_bytes([["姓名"]]), path)
    chunk = b"\x00" * (1024 * 1024)
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/media/zeros.bin", "w", force_zip64=True) as entry,
    ):
        for _ in range(size // len(chunk)):
            entry.write(chunk)
    return path


def test_zip_bomb_is_refused_before_inflating(tmp_path):
    path = _bomb(tmp_path / "bomb.xlsx")
    assert path.stat().st_size < 2 * 1024 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(XlsxRefused) as excinfo:
            list(iter_rows(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert _code(excinfo) == "zip_bomb"
    assert peak < 50 * 1024 * 1024


def test_high_ratio_entry_under_the_total_cap_is_refused(tmp_path):
    path = _bomb(tmp_path / "bomb.xlsx", size=50 * 1024 * 1024)
    with pytest.raises(XlsxRefused) as excinfo:
        check_container(path)
    assert _code(excinfo) == "zip_bomb"


def test_too_many_entries_is_refused(tmp_path):
    extra = [(f"xl/media/{n}.txt", b"x") for n in range(1100)]
    path = _rewrite(_xlsx_bytes([["姓名"]]), tmp_path / "many.xlsx", extra=extra)
    with pytest.raises(XlsxRefused) as excinfo:
        check_container(path)
    assert _code(excinfo) == "zip_bomb"


def test_lying_entry_size_is_refused(tmp_path):
    """The central directory says 10 bytes; the entry inflates to far more."""
    data = bytearray(_xlsx_bytes([["姓名"]]))
    path = tmp_path / "lie.xlsx"
    # Patch the uncompressed size in the sheet's central directory entry.
    name = b"xl/worksheets/sheet1.xml"
    cd = data.find(b"PK\x01\x02")
    while data[cd + 46 : cd + 46 + len(name)] != name:
        cd = data.find(b"PK\x01\x02", cd + 4)
    data[cd + 24 : cd + 28] = (10).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(XlsxRefused) as excinfo:
        check_container(path)
    assert _code(excinfo) == "not_xlsx"


@pytest.mark.parametrize(
    ("ref", "code"),
    [("A1:XFD1", "too_many_columns"), ("A1:B1048576", "too_many_rows")],
)
def test_sheet_claiming_a_huge_range_is_refused_quickly(tmp_path, ref, code):
    data = _xlsx_bytes([["姓名", "身份证号"], ["张三", ID_NUMBER]])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml")
    assert b'<dimension ref="A1:B2"' in xml
    xml = xml.replace(b'ref="A1:B2"', f'ref="{ref}"'.encode())
    path = _rewrite(data, tmp_path / "a.xlsx", {"xl/worksheets/sheet1.xml": xml})
    started = time.monotonic()
    with pytest.raises(XlsxRefused) as excinfo:
        next(iter_rows(path))
    assert _code(excinfo) == code
    assert time.monotonic() - started < 2


def test_far_away_cell_is_refused_before_calamine_builds_the_range(tmp_path):
    """Two real cells, A1 and XFD1048576: calamine would allocate the whole rectangle."""
    data = _xlsx_bytes([["姓名"]])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    far = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    xml = xml.replace("</sheetData>", far + "</sheetData>")
    xml = xml.replace('<dimension ref="A1"/>', "")
    path = _rewrite(data, tmp_path / "a.xlsx", {"xl/worksheets/sheet1.xml": xml})
    with pytest.raises(XlsxRefused) as excinfo:
        next(iter_rows(path))
    assert _code(excinfo) in {"too_many_rows", "too_many_columns"}


def test_too_many_rows_is_refused_before_any_row(tmp_path):
    path = tmp_path / "a.xlsx"
    path.write_bytes(_xlsx_bytes([["姓名"]] + [[f"人{n}"] for n in range(100)]))
    rows = iter_rows(path, Limits(max_rows=50))
    with pytest.raises(XlsxRefused) as excinfo:
        next(rows)
    assert _code(excinfo) == "too_many_rows"
    assert len(list(iter_rows(path, Limits(max_rows=100)))) == 101


def test_too_many_columns_is_refused(tmp_path):
    path = tmp_path / "a.xlsx"
    path.write_bytes(_xlsx_bytes([[f"列{n}" for n in range(61)]]))
    with pytest.raises(XlsxRefused) as excinfo:
        next(iter_rows(path))
    assert _code(excinfo) == "too_many_columns"


# --- writing -----------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_neutralise_dangerous_prefixes(prefix):
    assert neutralise(prefix + "1+1") == "'" + prefix + "1+1"


@pytest.mark.parametrize("value", ["张三", "1+1", "", 5, -5, None, dt.date(2024, 5, 1)])
def test_neutralise_leaves_other_values(value):
    assert neutralise(value) == value


def test_write_xlsx_round_trip(tmp_path):
    content = write_xlsx(
        ["姓名", "身份证号", "手机号", "备注", "开班日期"],
        [
            ["张三", ID_NUMBER, 13800001111, '=HYPERLINK("http://x","点我")', None],
            ["李四", ID_NUMBER, "13900002222", "@SUM(A1)", dt.date(2024, 5, 1)],
        ],
        sheet_title="花名册",
        text_columns={1, 2},
    )
    path = tmp_path / "out.xlsx"
    path.write_bytes(content)
    check_container(path)

    rows = list(iter_rows(path))
    assert rows[0] == (1, ["姓名", "身份证号", "手机号", "备注", "开班日期"])
    _, values = rows[1]
    assert cell_text(values[1]) == ID_NUMBER
    assert cell_text(values[2]) == "13800001111"
    assert values[3] == '\'=HYPERLINK("http://x","点我")'
    assert rows[2][1][3] == "'@SUM(A1)"
    assert parse_date(rows[2][1][4]) == dt.date(2024, 5, 1)

    ws = openpyxl.load_workbook(path)["花名册"]
    assert ws["A1"].font.b
    assert ws["B2"].number_format == "@" and ws["B2"].data_type == "s"
    assert ws["C2"].value == "13800001111"
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f"


def test_write_xlsx_template_with_validations_and_sample(tmp_path):
    content = write_xlsx(
        ["姓名", "性别", "身份证号"],
        [],
        text_columns={2},
        validations={1: ["男", "女"]},
        sample_row=["张三", "男", ID_NUMBER],
    )
    path = tmp_path / "template.xlsx"
    path.write_bytes(content)
    ws = openpyxl.load_workbook(path).active
    validations = ws.data_validations.dataValidation
    assert len(validations) == 1
    assert validations[0].type == "list"
    assert validations[0].formula1 == '"男,女"'
    assert "B2" in validations[0].sqref
    assert ws["C2"].value == ID_NUMBER and ws["C2"].number_format == "@"
    assert ws.column_dimensions["C"].number_format == "@"


def test_write_xlsx_streams_a_large_export():
    rows = ([f"人{n}", n, "=cmd"] for n in range(20_000))
    tracemalloc.start()
    try:
        content = write_xlsx(["姓名", "序号", "备注"], rows)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert content.startswith(b"PK")
    assert peak < 30 * 1024 * 1024


def test_xlsx_response_has_type_and_chinese_filename():
    response = xlsx_response(b"PK...", "花名册 2024")
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''%E8%8A%B1%E5%90%8D%E5%86%8C%202024.xlsx" in disposition


# --- the sheet scan: fast path and exact path agree --------------------------------------


def _sheet_with(cells_xml: str, dimension: str = "") -> bytes:
    """A one-sheet xlsx whose sheetData is ``cells_xml`` (a row of two cells first)."""
    data = _xlsx_bytes([["姓名", "身份证号"]])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    start = xml.index("<sheetData>") + len("<sheetData>")
    end = xml.index("</sheetData>")
    head = xml[:start]
    if dimension:
        head = head.replace(
            "<sheetViews>", f'<dimension ref="{dimension}"/><sheetViews>'
        )
    return (head + cells_xml + xml[end:]).encode()


SCAN_CASES = [
    # (sheetData, dimension, refused with)
    ('<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>', "", None),
    ('<row r="1"><c r="BH1"><v>1</v></c></row>', "", None),  # column 60: in
    ('<row r="1"><c r="BI1"><v>1</v></c></row>', "", "too_many_columns"),
    ('<row r="1"><c r="ZZ1" s="1"/></row>', "", None),  # empty styled cell: skipped
    ('<row r="200010"><c r="A200010"><v>1</v></c></row>', "", None),
    ('<row r="200011"><c r="A200011"><v>1</v></c></row>', "", "too_many_rows"),
    ('<row r="1"><c r="A0000001"><v>1</v></c></row>', "", None),  # zeros: row 1
    ('<row r="1"><c r="A1"><v>1</v></c></row>', "A1:XFD1", "too_many_columns"),
    ('<row r="1"><c r="A1"><v>1</v></c></row>', "A1:B9", None),
    # Shapes only the exact scan reads: no reference, namespace, lower case, r later.
    ('<row r="3"><c><v>1</v></c><c><v>2</v></c></row>', "", None),
    ('<row r="3">' + "<c><v>1</v></c>" * 61 + "</row>", "", "too_many_columns"),
    ('<row r="200011"><c><v>1</v></c></row>', "", "too_many_rows"),
    ('<x:row r="1"><x:c r="CA1"><x:v>1</x:v></x:c></x:row>', "", "too_many_columns"),
    ('<row r="1"><c r="ca1"><v>1</v></c></row>', "", "too_many_columns"),
    ('<row r="1"><c s="0" r="CA1"><v>1</v></c></row>', "", "too_many_columns"),
    ('<row r="1"><c r="CA"><v>1</v></c></row>', "", "too_many_columns"),
]


@pytest.mark.parametrize(("cells", "dimension", "code"), SCAN_CASES)
def test_fast_and_exact_scans_refuse_the_same_sheets(cells, dimension, code):
    from training_platform import xlsx

    xml = _sheet_with(cells, dimension)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("sheet.xml", xml)
    outcomes = []
    with zipfile.ZipFile(buffer) as archive:
        for scan in (xlsx._scan_sheet, xlsx._scan_sheet_exact):
            try:
                scan(archive, "sheet.xml", Limits())
                outcomes.append(None)
            except XlsxRefused as exc:
                outcomes.append(exc.code)
    assert outcomes == [code, code]


def test_a_regular_sheet_is_scanned_without_the_exact_path(tmp_path, monkeypatch):
    from training_platform import xlsx

    def exact(*args):
        raise AssertionError("exact scan used")

    monkeypatch.setattr(xlsx, "_scan_sheet_exact", exact)
    path = tmp_path / "a.xlsx"
    path.write_bytes(
        _xlsx_bytes(
            [["姓名", "身份证号"]] + [[f"人{n}", ID_NUMBER] for n in range(3000)]
        )
    )
    assert len(list(iter_rows(path))) == 3001


def test_a_regular_sheet_with_a_far_cell_in_a_later_chunk_is_refused(tmp_path):
    """The fast path looks at every chunk, not only the first."""
    rows = "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>{"x" * 200}</t></is></c></row>'
        for n in range(1, 8000)
    )
    far = '<row r="8000"><c r="CA8000"><v>1</v></c></row>'
    data = _xlsx_bytes([["姓名"]])
    path = _rewrite(
        data,
        tmp_path / "a.xlsx",
        {"xl/worksheets/sheet1.xml": _sheet_with(rows + far)},
    )
    assert len(_sheet_with(rows)) > 2 * 1024 * 1024
    with pytest.raises(XlsxRefused) as excinfo:
        next(iter_rows(path))
    assert _code(excinfo) == "too_many_columns"


def test_a_corrupt_sheet_entry_is_refused_when_scanned(tmp_path):
    """The sheet is inflated (and its CRC checked) by the scan, not twice."""
    data = bytearray(_xlsx_bytes([["姓名"], ["张三"]]))
    name = b"xl/worksheets/sheet1.xml"
    local = data.find(b"PK\x03\x04")
    while data[local + 30 : local + 30 + len(name)] != name:
        local = data.find(b"PK\x03\x04", local + 4)
    data[local + 14 : local + 18] = b"\0\0\0\0"  # the CRC in the local header
    cd = data.find(b"PK\x01\x02")
    while data[cd + 46 : cd + 46 + len(name)] != name:
        cd = data.find(b"PK\x01\x02", cd + 4)
    data[cd + 16 : cd + 20] = b"\0\0\0\0"  # and in the central directory
    path = tmp_path / "crc.xlsx"
    path.write_bytes(bytes(data))
    with pytest.raises(XlsxRefused) as excinfo:
        next(iter_rows(path))
    assert _code(excinfo) == "not_xlsx"


@pytest.mark.parametrize(
    "value", ["abc", "  a b ", "", "ＡＢ", " 张三 ", "１３８", "x\u3000", "\u200b1"]
)
def test_cell_text_of_text_is_nfkc_and_stripped(value):
    import unicodedata

    assert cell_text(value) == unicodedata.normalize("NFKC", value).strip()
