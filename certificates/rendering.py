"""QR images and printable certificates (PDF), independent of the certificate models.

The PDF embeds a subset of the vendored WenQuanYi Micro Hei font (fonts/README.md), so
Chinese text prints and copies out correctly on any machine, and draws the QR as filled
rectangles so it stays sharp at any print size.
"""

import datetime
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.colors import black, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

FONT_PATH = Path(__file__).resolve().parent / "fonts" / "wqy-microhei.ttf"
FONT_NAME = "WenQuanYiMicroHei"
QUIET_ZONE = 4  # modules of white around the symbol, as ISO/IEC 18004 asks
PNG_BOX_SIZE = 8  # pixels per module
INK = "#1a2a4a"


@dataclass(frozen=True)
class PrintedCertificate:
    number: str
    kind_label: str  # 职业技能等级证书, 专项职业能力证书, …
    holder_name: str  # full name as printed (personal data)
    holder_id_masked: str
    occupation_code: str
    occupation_name: str
    level_label: str  # "" when the kind has no level
    issuer_name: str
    issued_on: datetime.date
    expires_on: datetime.date | None
    status_label: str  # 有效, 已过期, 已撤销, …
    qr_text: str
    verify_url: str


# --- QR ---------------------------------------------------------------------------------


def qr_matrix(text: str) -> list[list[bool]]:
    """The QR modules for ``text`` (error correction M), quiet zone included."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE)
    code.add_data(text)
    code.make(fit=True)
    return code.get_matrix()


def _dark_runs(matrix: list[list[bool]]) -> Iterator[tuple[int, int, int]]:
    """(row, first column, length) of each horizontal run of dark modules."""
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                yield y, start, x - start
            else:
                x += 1


def qr_png(text: str) -> bytes:
    """A PNG of the QR for ``text``, black on white with a quiet zone."""
    code = qrcode.QRCode(
        error_correction=ERROR_CORRECT_M, border=QUIET_ZONE, box_size=PNG_BOX_SIZE
    )
    code.add_data(text)
    code.make(fit=True)
    out = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(out, format="PNG")
    return out.getvalue()


def qr_svg(text: str, *, label: str = "证书验证二维码") -> str:
    """An inline ``<svg>`` of the QR: one path, presentation attributes only (strict CSP)."""
    matrix = qr_matrix(text)
    size = len(matrix)
    path = "".join(f"M{x} {y}h{n}v1h-{n}z" for y, x, n in _dark_runs(matrix))
    # The label is ours, not user data, but escape it anyway: this goes into pages.
    safe_label = label.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'role="img" aria-label="{safe_label}" shape-rendering="crispEdges">'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path d="{path}" fill="#000"/></svg>'
    )


# --- PDF --------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _font() -> str:
    pdfmetrics.registerFont(TTFont(FONT_NAME, str(FONT_PATH)))
    return FONT_NAME


def unsupported_characters(text: str) -> str:
    """Characters of ``text`` the certificate font cannot draw (e.g. rare name characters)."""
    font = pdfmetrics.getFont(_font())
    known = font.face.charToGlyph
    return "".join(dict.fromkeys(ch for ch in text if ord(ch) not in known))


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Break ``text`` into lines no wider than ``width``, at any character (CJK)."""
    lines, line = [], ""
    for ch in text:
        if line and pdfmetrics.stringWidth(line + ch, font, size) > width:
            lines.append(line)
            line = ""
        line += ch
    return [*lines, line] if line else lines or [""]


def _date(value: datetime.date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def _draw_qr(canvas: Canvas, text: str, *, x: float, y: float, size: float) -> None:
    """Draw the QR as filled rectangles with its bottom-left corner at (x, y)."""
    matrix = qr_matrix(text)
    module = size / len(matrix)
    top = y + size
    canvas.setFillColor(white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColor(black)
    path = canvas.beginPath()
    for row, col, length in _dark_runs(matrix):
        path.rect(x + col * module, top - (row + 1) * module, length * module, module)
    canvas.drawPath(path, stroke=0, fill=1)


def _draw_page(canvas: Canvas, cert: PrintedCertificate) -> None:
    font = _font()
    width, height = A4
    margin = 18 * mm
    canvas.setStrokeColor(INK)
    canvas.setLineWidth(2.4)
    canvas.rect(margin, margin, width - 2 * margin, height - 2 * margin)
    canvas.setLineWidth(0.6)
    inset = margin + 3 * mm
    canvas.rect(inset, inset, width - 2 * inset, height - 2 * inset)

    canvas.setFillColor(INK)
    # The render mode outlives the text object, so keep it inside a saved state.
    canvas.saveState()
    title = canvas.beginText()
    title.setTextRenderMode(2)  # fill + stroke: a bolder title from the one weight
    title.setFont(font, 28)
    title_width = pdfmetrics.stringWidth(cert.kind_label, font, 28)
    title.setTextOrigin((width - title_width) / 2, height - 62 * mm)
    title.textOut(cert.kind_label)
    canvas.setLineWidth(0.5)
    canvas.drawText(title)
    canvas.restoreState()

    canvas.setFont(font, 11)
    canvas.drawCentredString(width / 2, height - 72 * mm, f"证书编号：{cert.number}")

    rows = [
        ("姓　　名", cert.holder_name),
        ("证件号码", cert.holder_id_masked),
        ("职业（工种）", f"{cert.occupation_name}（{cert.occupation_code}）"),
    ]
    if cert.level_label:
        rows.append(("等　　级", cert.level_label))
    rows += [
        ("发证机构", cert.issuer_name),
        ("发证日期", _date(cert.issued_on)),
        ("有效期至", _date(cert.expires_on) if cert.expires_on else "长期有效"),
        ("证书状态", cert.status_label),
    ]
    label_x = margin + 22 * mm
    value_x = label_x + 38 * mm
    value_width = width - margin - 20 * mm - value_x
    y = height - 96 * mm
    for label, value in rows:
        canvas.setFont(font, 14)
        canvas.drawString(label_x, y, f"{label}：")
        for line in _wrap(value, font, 14, value_width):
            canvas.drawString(value_x, y, line)
            y -= 9 * mm
        y -= 2 * mm

    qr_size = 42 * mm
    qr_x = width - margin - 20 * mm - qr_size
    qr_y = margin + 26 * mm
    _draw_qr(canvas, cert.qr_text, x=qr_x, y=qr_y, size=qr_size)
    canvas.setFillColor(INK)
    canvas.setFont(font, 9)
    canvas.drawCentredString(qr_x + qr_size / 2, qr_y - 5 * mm, "扫码验证真伪")

    note_x = margin + 12 * mm
    note_width = qr_x - note_x - 8 * mm
    note_y = qr_y + 18 * mm
    notes = [
        (9, "本证书可扫描右侧二维码或访问以下网址查验："),
        *((8, line) for line in _wrap(cert.verify_url, font, 8, note_width)),
        (9, "二维码含发证机构的数字签名，可离线核验。"),
    ]
    for size, line in notes:
        canvas.setFont(font, size)
        canvas.drawString(note_x, note_y, line)
        note_y -= 5 * mm


def certificate_pdf(certificates: Iterable[PrintedCertificate]) -> bytes:
    """One A4 page per certificate, in order: a class's batch prints as one PDF."""
    out = io.BytesIO()
    # invariant: no timestamps or random ids, so equal input gives equal bytes.
    canvas = Canvas(
        out,
        pagesize=A4,
        invariant=1,
        pageCompression=1,
        initialFontName=_font(),  # else an unembedded Helvetica rides along
    )
    canvas.setTitle("证书")
    canvas.setCreator("黔技通")
    pages = 0
    for cert in certificates:
        _draw_page(canvas, cert)
        canvas.showPage()
        pages += 1
    if not pages:
        raise ValueError("No certificates to print.")
    canvas.save()
    return out.getvalue()
