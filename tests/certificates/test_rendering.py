"""certificates.rendering: QR images that scan, and certificate PDFs with real Chinese text."""

import dataclasses
import datetime
import io
import re
import xml.etree.ElementTree as ET

import cv2
import numpy as np
import pytest
import qrcode
from PIL import Image, ImageDraw
from pypdf import PdfReader
from pypdf.generic import ContentStream

from certificates.rendering import (
    PrintedCertificate,
    certificate_pdf,
    qr_matrix,
    qr_png,
    qr_svg,
    unsupported_characters,
)
from certificates.signing import QRPayload, qr_text

TOKEN = "Xk3vQ9pL2mN8rT5wY7zA1b"
VERIFY_URL = f"https://qianjitong.rst.guizhou.gov.cn/verify/{TOKEN}/"


@pytest.fixture
def signed_text() -> str:
    """A realistic QR text (~350 characters, payload version 2) as issuance makes it."""
    payload = QRPayload(
        token=TOKEN,
        number="Y520100026001230000001",
        kind="skill_level",
        occupation_code="6-18-02-04",
        level="三级",
        issued_on=datetime.date(2026, 11, 26),
        expires_on=None,
        holder="欧**",
        issuer="贵阳市职业技能鉴定指导中心",
        status_index=612345,
    )
    text = qr_text(payload, verify_url=VERIFY_URL)
    assert 320 <= len(text) <= 380
    return text


def make_certificate(signed_text, **changes) -> PrintedCertificate:
    fields = {
        "number": "Y520100026001230000001",
        "kind_label": "职业技能等级证书",
        "holder_name": "欧阳娜娜",
        "holder_id_masked": "52**************3X",
        "occupation_code": "6-18-02-04",
        "occupation_name": "电工",
        "level_label": "三级／高级工",
        "issuer_name": "贵阳市职业技能鉴定指导中心",
        "issued_on": datetime.date(2026, 11, 26),
        "expires_on": None,
        "status_label": "有效",
        "qr_text": signed_text,
        "verify_url": VERIFY_URL,
    }
    return PrintedCertificate(**{**fields, **changes})


def decode_qr(image: np.ndarray) -> str:
    # ArUco-based finder: more robust than the classic QRCodeDetector on valid symbols.
    data, _points, _straight = cv2.QRCodeDetectorAruco().detectAndDecode(image)
    return data


# --- PNG and SVG ------------------------------------------------------------------------


def test_qr_png_scans_back_to_the_exact_text(signed_text):
    png = qr_png(signed_text)

    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert decode_qr(image) == signed_text


def test_qr_png_has_error_correction_m_and_a_quiet_zone(signed_text):
    image = Image.open(io.BytesIO(qr_png(signed_text))).convert("L")
    modules = len(qr_matrix(signed_text))
    box = image.width // modules
    pixels = np.asarray(image)

    assert image.width == image.height == modules * box
    assert (pixels[: 4 * box, :] == 255).all()  # four white modules above
    assert (pixels[:, : 4 * box] == 255).all()  # and to the left
    expected = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    expected.add_data(signed_text)
    expected.make(fit=True)
    assert modules == expected.modules_count + 8


def svg_dark_modules(svg: str) -> tuple[int, set[tuple[int, int]]]:
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    size = int(root.get("viewBox").split()[2])
    path = root.find("{http://www.w3.org/2000/svg}path").get("d")
    runs = re.findall(r"M(\d+) (\d+)h(\d+)v1h-(\d+)z", path)
    assert "".join(f"M{x} {y}h{n}v1h-{m}z" for x, y, n, m in runs) == path
    dark = set()
    for x, y, n, m in runs:
        assert n == m
        dark.update((int(y), int(x) + i) for i in range(int(n)))
    return size, dark


def test_qr_svg_is_xml_with_every_module_in_place(signed_text):
    reference = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    reference.add_data(signed_text)
    reference.make(fit=True)
    matrix = reference.get_matrix()

    size, dark = svg_dark_modules(qr_svg(signed_text))

    assert size == 4 * reference.version + 17 + 2 * 4  # symbol + quiet zone each side
    assert size == len(matrix)
    expected = {
        (y, x) for y, row in enumerate(matrix) for x, cell in enumerate(row) if cell
    }
    assert dark == expected


def test_qr_svg_is_safe_under_a_strict_csp(signed_text):
    svg = qr_svg(signed_text)
    root = ET.fromstring(svg)  # noqa: S314 - our own output

    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    for element in root.iter():
        assert element.tag.rpartition("}")[2] in {"svg", "rect", "path"}
        assert not {"style", "href", "{http://www.w3.org/1999/xlink}href"} & set(
            element.attrib
        )
        assert not any(name.startswith("on") for name in element.attrib)
    assert "<script" not in svg
    assert "url(" not in svg


def test_qr_svg_rasterised_scans_back(signed_text):
    size, dark = svg_dark_modules(qr_svg(signed_text))
    scale = 8
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    for y, x in dark:
        draw.rectangle(
            [x * scale, y * scale, (x + 1) * scale - 1, (y + 1) * scale - 1], fill=0
        )

    assert decode_qr(np.asarray(image)) == signed_text


# --- PDF --------------------------------------------------------------------------------


def page_text(page) -> str:
    return page.extract_text()


def test_pdf_text_extracts_as_the_chinese_that_was_printed(signed_text):
    cert = make_certificate(signed_text)

    reader = PdfReader(io.BytesIO(certificate_pdf([cert])))

    assert len(reader.pages) == 1
    text = page_text(reader.pages[0])
    for expected in (
        "职业技能等级证书",
        "欧阳娜娜",
        "52**************3X",
        "电工（6-18-02-04）",
        "三级／高级工",
        "Y520100026001230000001",
        "贵阳市职业技能鉴定指导中心",
        "2026年11月26日",
        "长期有效",
        "有效",
        VERIFY_URL,
    ):
        assert expected in text, expected


def test_a_long_issuer_name_wraps_and_still_reads_whole(signed_text):
    issuer = "贵州省人力资源和社会保障厅职业技能鉴定指导中心（示范评价机构）第二分中心"
    cert = make_certificate(signed_text, issuer_name=issuer)

    text = page_text(PdfReader(io.BytesIO(certificate_pdf([cert]))).pages[0])

    assert issuer not in text  # it did wrap
    assert issuer in text.replace("\n", "")


def test_no_level_and_an_expiry_date(signed_text):
    cert = make_certificate(
        signed_text,
        kind_label="专项职业能力证书",
        level_label="",
        expires_on=datetime.date(2031, 11, 25),
    )

    text = page_text(PdfReader(io.BytesIO(certificate_pdf([cert]))).pages[0])

    assert "专项职业能力证书" in text
    assert "等　　级" not in text
    assert "2031年11月25日" in text
    assert "长期有效" not in text


def test_a_batch_prints_one_page_per_certificate_in_order(signed_text):
    names = ["张三", "李四", "王小明"]
    certs = [
        make_certificate(
            signed_text, holder_name=name, number=f"Y52010002600123000000{i}"
        )
        for i, name in enumerate(names, start=1)
    ]

    reader = PdfReader(io.BytesIO(certificate_pdf(certs)))

    assert len(reader.pages) == 3
    for i, (page, name) in enumerate(zip(reader.pages, names, strict=True), start=1):
        text = page_text(page)
        assert name in text
        assert f"Y52010002600123000000{i}" in text
        assert not {n for n in names if n != name} & set(text.split())


def test_fonts_are_embedded_subsets(signed_text):
    reader = PdfReader(io.BytesIO(certificate_pdf([make_certificate(signed_text)])))

    fonts = reader.pages[0]["/Resources"]["/Font"]
    assert fonts
    for ref in fonts.values():
        font = ref.get_object()
        assert font["/Subtype"] == "/TrueType"
        assert "+" in font["/BaseFont"]  # subset tag, e.g. AAAAAA+WenQuanYiMicroHei
        assert "/FontFile2" in font["/FontDescriptor"]
        assert "/ToUnicode" in font


def test_the_qr_is_vector_not_an_image(signed_text):
    reader = PdfReader(io.BytesIO(certificate_pdf([make_certificate(signed_text)] * 2)))

    for page in reader.pages:
        xobjects = page["/Resources"].get("/XObject", {})
        assert not [
            x for x in xobjects.values() if x.get_object().get("/Subtype") == "/Image"
        ]


def filled_black_rectangles(reader, page):
    """(x, y, w, h) in page space of every rectangle filled in black on the page."""
    black, fill = (0.0, 0.0, 0.0), None
    stack, ctm, pending, found = [], (1, 0, 0, 1, 0, 0), [], []
    for operands, op in ContentStream(page.get_contents(), reader).operations:
        if op == b"q":
            stack.append((fill, ctm))
        elif op == b"Q":
            fill, ctm = stack.pop()
        elif op == b"cm":
            a, b, c, d, e, f = (float(v) for v in operands)
            assert b == c == 0, "only scale and translate are expected"
            ca, _cb, _cc, cd, ce, cf = ctm
            ctm = (a * ca, 0, 0, d * cd, e * ca + ce, f * cd + cf)
        elif op == b"rg":
            fill = tuple(float(v) for v in operands)
        elif op == b"g":
            fill = (float(operands[0]),) * 3
        elif op == b"re":
            x, y, w, h = (float(v) for v in operands)
            pending.append(
                (ctm[0] * x + ctm[4], ctm[3] * y + ctm[5], ctm[0] * w, ctm[3] * h)
            )
        elif op in {b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*", b"S", b"s", b"n"}:
            if op not in {b"S", b"s", b"n"} and fill == black:
                found.extend(pending)
            pending = []
    return found


def test_the_vector_qr_in_the_pdf_scans_back_to_the_qr_text(signed_text):
    reader = PdfReader(io.BytesIO(certificate_pdf([make_certificate(signed_text)])))
    page = reader.pages[0]
    rectangles = filled_black_rectangles(reader, page)

    # Paint just those rectangles, as a printer would, and scan the result.
    scale = 4  # pixels per point, ~290 dpi
    width, height = (int(float(v) * scale) for v in page.mediabox[2:])
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    for x, y, w, h in rectangles:
        left, right = x * scale, (x + w) * scale
        top, bottom = height - (y + h) * scale, height - y * scale
        draw.rectangle(
            [round(left), round(top), round(right) - 1, round(bottom) - 1], fill=0
        )

    assert len(rectangles) > 500
    assert decode_qr(np.asarray(image)) == signed_text


def test_the_vector_qr_has_exactly_the_modules_of_the_text(signed_text):
    reader = PdfReader(io.BytesIO(certificate_pdf([make_certificate(signed_text)])))
    rectangles = filled_black_rectangles(reader, reader.pages[0])
    module = rectangles[0][3]
    left = min(x for x, _y, _w, _h in rectangles)
    top = max(y + h for _x, y, _w, h in rectangles)

    # The finder pattern's corner sits just inside the quiet zone, at module (4, 4).
    drawn = set()
    for x, y, w, h in rectangles:
        assert h == pytest.approx(module)
        row = round((top - y - h) / module) + 4
        col = round((x - left) / module) + 4
        drawn.update((row, col + i) for i in range(round(w / module)))
    reference = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    reference.add_data(signed_text)
    reference.make(fit=True)
    expected = {
        (y, x)
        for y, line in enumerate(reference.get_matrix())
        for x, cell in enumerate(line)
        if cell
    }
    assert drawn == expected


def test_same_input_gives_the_same_bytes(signed_text):
    cert = make_certificate(signed_text)

    assert certificate_pdf([cert]) == certificate_pdf([cert])
    other = dataclasses.replace(cert, holder_name="张三")
    assert certificate_pdf([other]) != certificate_pdf([cert])


def test_an_empty_batch_is_refused():
    with pytest.raises(ValueError, match="No certificates"):
        certificate_pdf([])


def test_unsupported_characters_reports_what_the_font_cannot_draw():
    assert unsupported_characters("欧阳娜娜 Y52-01") == ""
    assert unsupported_characters("张𠀀𠀀三") == "𠀀"
