"""Drawing shared by the platform's PDFs and QR codes: the vendored Chinese font, QR
symbols (PNG, inline SVG, drawn on a PDF canvas) and CJK line breaking.

Certificates (``certificates.rendering``) and the lifetime record
(``trainees.record_export``) draw with these; the font is WenQuanYi Micro Hei
(``training_platform/fonts``, Apache-2.0).
"""

import io
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.colors import black, white
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

FONT_PATH = Path(__file__).resolve().parent / "fonts" / "wqy-microhei.ttf"
FONT_NAME = "WenQuanYiMicroHei"
QUIET_ZONE = 4  # modules of white around the symbol, as ISO/IEC 18004 asks
PNG_BOX_SIZE = 8  # pixels per module
INK = "#1a2a4a"  # the platform's dark blue, for headings


# --- QR ---------------------------------------------------------------------------------


def qr_matrix(text: str) -> list[list[bool]]:
    """The QR modules for ``text`` (error correction M), quiet zone included."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE)
    code.add_data(text)
    code.make(fit=True)
    return code.get_matrix()


def dark_runs(matrix: list[list[bool]]) -> Iterator[tuple[int, int, int]]:
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
    path = "".join(f"M{x} {y}h{n}v1h-{n}z" for y, x, n in dark_runs(matrix))
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
def font_name() -> str:
    pdfmetrics.registerFont(TTFont(FONT_NAME, str(FONT_PATH)))
    return FONT_NAME


def unsupported_characters(text: str) -> str:
    """Characters of ``text`` the platform font cannot draw (e.g. rare name characters)."""
    font = pdfmetrics.getFont(font_name())
    known = font.face.charToGlyph
    return "".join(dict.fromkeys(ch for ch in text if ord(ch) not in known))


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Break ``text`` into lines no wider than ``width``, at any character (CJK)."""
    lines, line = [], ""
    for ch in text:
        if line and pdfmetrics.stringWidth(line + ch, font, size) > width:
            lines.append(line)
            line = ""
        line += ch
    return [*lines, line] if line else lines or [""]


def draw_qr(canvas: Canvas, text: str, *, x: float, y: float, size: float) -> None:
    """Draw the QR as filled rectangles with its bottom-left corner at (x, y)."""
    matrix = qr_matrix(text)
    module = size / len(matrix)
    top = y + size
    canvas.setFillColor(white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColor(black)
    path = canvas.beginPath()
    for row, col, length in dark_runs(matrix):
        path.rect(x + col * module, top - (row + 1) * module, length * module, module)
    canvas.drawPath(path, stroke=0, fill=1)
