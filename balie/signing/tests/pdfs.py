"""PDFs for the signing tests, made with reportlab."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas


def make_pdf(pages: int = 3, *, title: str = "Jaarrekening 2025") -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    for number in range(1, pages + 1):
        page.drawString(72, 770, f"{title} — pagina {number} van {pages}")
        if number == pages:
            page.drawString(72, 200, "Voor akkoord getekend:")
        page.showPage()
    page.save()
    return buffer.getvalue()


def make_encrypted_pdf() -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, encrypt="geheim")
    page.drawString(72, 770, "Beveiligd")
    page.showPage()
    page.save()
    return buffer.getvalue()


def make_signature_png() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (400, 150), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(10, 110), (90, 20), (180, 130), (260, 30), (390, 90)], fill=(0, 0, 0, 255), width=5)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
