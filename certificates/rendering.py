"""QR images and printable certificates (PDF), independent of the certificate models.

The PDF embeds a subset of the vendored WenQuanYi Micro Hei font and draws the QR as
filled rectangles (both from ``training_platform.pdf``, shared with the lifetime
record), so Chinese text prints and copies out on any machine and the QR stays sharp
at any print size.
"""

import datetime
import io
from collections.abc import Iterable
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from training_platform.pdf import (  # noqa: F401  (qr_* are this module's API too)
    INK,
    draw_qr,
    font_name,
    qr_matrix,
    qr_png,
    qr_svg,
    unsupported_characters,
    wrap,
)


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


def _date(value: datetime.date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def _draw_page(canvas: Canvas, cert: PrintedCertificate) -> None:
    font = font_name()
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
        for line in wrap(value, font, 14, value_width):
            canvas.drawString(value_x, y, line)
            y -= 9 * mm
        y -= 2 * mm

    qr_size = 42 * mm
    qr_x = width - margin - 20 * mm - qr_size
    qr_y = margin + 26 * mm
    draw_qr(canvas, cert.qr_text, x=qr_x, y=qr_y, size=qr_size)
    canvas.setFillColor(INK)
    canvas.setFont(font, 9)
    canvas.drawCentredString(qr_x + qr_size / 2, qr_y - 5 * mm, "扫码验证真伪")

    note_x = margin + 12 * mm
    note_width = qr_x - note_x - 8 * mm
    note_y = qr_y + 18 * mm
    notes = [
        (9, "本证书可扫描右侧二维码或访问以下网址查验："),
        *((8, line) for line in wrap(cert.verify_url, font, 8, note_width)),
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
        initialFontName=font_name(),  # else an unembedded Helvetica rides along
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
