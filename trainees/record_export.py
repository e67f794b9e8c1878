"""The lifetime record as files: a PDF (Chinese, the vendored font, a QR to the
verification page of each valid certificate) and an xlsx, for the person and for staff.

Both are drawn from ``Record.in_time_order()`` only, so a source added later (competition
results) prints without this module knowing it; neither runs a query.

The PDF uses the platform's drawing helpers (``training_platform.pdf``: the
embedded WenQuanYi Micro Hei subset, CJK line wrapping, the QR as filled rectangles).
"""

import datetime as dt
import io

from django.utils import translation
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from trainees.models import Trainee
from trainees.records import Record, record_for
from training_platform.pdf import INK, draw_qr, font_name, wrap
from training_platform.xlsx import write_xlsx

PLATFORM = "黔技通"
TITLE = "终身职业技能培训电子档案"
MUTED = HexColor("#555555")
LINE = HexColor("#c8ccd4")


def record_in_chinese(trainee: Trainee, *, viewer=None) -> Record:
    """The record with its labels in Chinese, whatever language the page is read in:
    the files are documents of the Chinese administration (``viewer``: staff, scoped)."""
    with translation.override("zh-hans"):
        return record_for(trainee, viewer=viewer)


def _day(value: dt.date | None) -> str:
    return value.isoformat() if value else "—"


def export_filename(record: Record, exported_on: dt.date, ext: str) -> str:
    return f"{TITLE}-{record.trainee.name}-{exported_on:%Y%m%d}.{ext}"


# --- PDF --------------------------------------------------------------------------------


class _Pages:
    """A canvas that starts a new page (with its header and footer) when one is full."""

    def __init__(self, canvas: Canvas, *, head: str, foot: str):
        self.canvas = canvas
        self.head = head
        self.foot = foot
        self.width, self.height = A4
        self.margin = 16 * mm
        self.number = 0
        self.y = 0.0
        self.font = font_name()
        self.new_page()

    def new_page(self):
        if self.number:
            self.canvas.showPage()
        self.number += 1
        c = self.canvas
        c.setFillColor(MUTED)
        c.setFont(self.font, 8)
        c.drawString(self.margin, self.height - 10 * mm, self.head)
        c.drawRightString(
            self.width - self.margin, 9 * mm, f"{self.foot} · 第 {self.number} 页"
        )
        c.setFillColor(INK)
        self.y = self.height - 18 * mm

    def room(self, needed: float):
        if self.y - needed < 16 * mm:
            self.new_page()


def record_pdf(record: Record, *, masked_id: str, exported_on: dt.date) -> bytes:
    """The record as an A4 PDF in Chinese, entries in time order."""
    out = io.BytesIO()
    font = font_name()
    canvas = Canvas(
        out, pagesize=A4, invariant=1, pageCompression=1, initialFontName=font
    )
    canvas.setTitle(TITLE)
    canvas.setCreator(PLATFORM)
    trainee = record.trainee
    pages = _Pages(
        canvas,
        head=f"{PLATFORM} · {TITLE}",
        foot=f"{PLATFORM} · 导出日期 {exported_on:%Y-%m-%d}",
    )
    left, right = pages.margin, pages.width - pages.margin

    canvas.setFont(font, 18)
    canvas.drawCentredString(pages.width / 2, pages.y - 4 * mm, TITLE)
    pages.y -= 14 * mm
    canvas.setFont(font, 10.5)
    for line in (
        f"姓名：{trainee.name}",
        f"身份证号码：{masked_id}",
        f"导出日期：{exported_on.year}年{exported_on.month}月{exported_on.day}日"
        f"（{PLATFORM}）",
        f"共 {len(record)} 条记录，按时间先后排列。证书可扫描二维码或访问所列网址查验真伪。",
    ):
        for part in wrap(line, font, 10.5, right - left):
            canvas.drawString(left, pages.y, part)
            pages.y -= 6 * mm
    pages.y -= 2 * mm

    qr_size = 24 * mm
    with translation.override("zh-hans"):
        items = [
            (
                item,
                str(item.kind),
                [(str(label), str(value)) for label, value in item.facts],
            )
            for item in record.in_time_order()
        ]
    if not items:
        canvas.setFont(font, 10.5)
        canvas.drawString(left, pages.y, "暂无记录。")
    for item, kind, facts in items:
        entry = item.entry
        text_right = right - (qr_size + 4 * mm if entry.qr_url else 0)
        label_w = 26 * mm
        value_w = text_right - left - label_w
        lines = [
            (label, part)
            for label, value in facts
            for part in wrap(value, font, 9.5, value_w)
        ]
        if entry.url and not entry.qr_url:
            lines.append(("查验网址", ""))
        height = 8 * mm + 5 * mm * len(lines)
        if entry.qr_url:
            height = max(height, qr_size + 10 * mm)
        pages.room(height + 4 * mm)
        top = pages.y
        canvas.setStrokeColor(LINE)
        canvas.setLineWidth(0.5)
        canvas.line(left, top + 3 * mm, right, top + 3 * mm)
        canvas.setFillColor(INK)
        canvas.setFont(font, 11)
        heading = f"{_day(entry.date)}  【{kind}】{entry.title}"
        if entry.status:
            heading += f"（{entry.status}）"
        for part in wrap(heading, font, 11, text_right - left):
            canvas.drawString(left, pages.y - 2 * mm, part)
            pages.y -= 6 * mm
        pages.y -= 2 * mm
        previous = None
        for label, part in lines:
            canvas.setFont(font, 9.5)
            if label != previous:
                canvas.setFillColor(MUTED)
                canvas.drawString(left + 2 * mm, pages.y, f"{label}")
                canvas.setFillColor(INK)
            canvas.drawString(left + label_w, pages.y, part)
            previous = label
            pages.y -= 5 * mm
        if entry.qr_url:
            qr_y = top - qr_size - 1 * mm
            draw_qr(canvas, entry.qr_url, x=right - qr_size, y=qr_y, size=qr_size)
            canvas.setFillColor(MUTED)
            canvas.setFont(font, 7)
            canvas.drawCentredString(right - qr_size / 2, qr_y - 3 * mm, "扫码查验")
            canvas.setFillColor(INK)
            pages.y = min(pages.y, qr_y - 5 * mm)
        pages.y -= 4 * mm
    canvas.showPage()
    canvas.save()
    return out.getvalue()


# --- xlsx -------------------------------------------------------------------------------

XLSX_HEADERS = ["日期", "类别", "名称", "状态", "详细信息", "查验网址"]


def record_xlsx(
    record: Record, *, masked_id: str, exported_on: dt.date, base_url: str = ""
) -> bytes:
    """The record as one sheet: a row per entry in time order, its facts in one cell;
    below them, after a blank row, whose record it is (ID masked), the platform and the
    date of export."""
    trainee = record.trainee
    with translation.override("zh-hans"):
        rows = [
            [
                _day(item.entry.date),
                str(item.kind),
                item.entry.title,
                str(item.entry.status) or "—",
                "；".join(f"{label}：{value}" for label, value in item.facts),
                (base_url + item.entry.url) if item.entry.url else "",
            ]
            for item in record.in_time_order()
        ]
    rows += [
        [],
        ["姓名", trainee.name],
        ["身份证号码", masked_id],
        ["导出日期", _day(exported_on)],
        ["导出平台", f"{PLATFORM} · {TITLE}"],
    ]
    return write_xlsx(XLSX_HEADERS, rows, sheet_title="培训档案", text_columns={0})
