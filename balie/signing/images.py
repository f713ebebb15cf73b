"""The signature image: drawn on the canvas (a PNG data URL from the browser) or typed (rendered
here). Whatever arrives is decoded, checked and drawn again by Balie as a clean PNG, so no bytes of
the upload reach the PDF."""

from __future__ import annotations

import base64
import binascii
import io
import os

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

MAX_BYTES = 512 * 1024  # a drawn signature is some tens of kilobytes
MAX_SIDE = 3000
MIN_INK_PIXELS = 60  # fewer dark pixels than this is a dot or a slip, not a signature
MIN_INK_SPAN = 24  # the strokes must span at least this many pixels one way or the other
PREFIX = "data:image/png;base64,"
INK = (20, 33, 84, 255)


def _empty() -> ValidationError:
    return ValidationError(_("Draw your signature in the box first, or type your name."), code="empty")


def drawn_png(data_url: str) -> bytes:
    """The drawing as Balie's own PNG: dark strokes on transparency, cropped to the strokes."""
    data_url = (data_url or "").strip()
    if not data_url:
        raise _empty()
    if not data_url.startswith(PREFIX):
        raise ValidationError(_("The drawing could not be read. Draw your signature again."), code="format")
    try:
        raw = base64.b64decode(data_url[len(PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(_("The drawing could not be read. Draw your signature again."), code="format") from None
    if len(raw) > MAX_BYTES:
        raise ValidationError(_("The drawing is too large. Draw your signature again."), code="size")
    try:
        with Image.open(io.BytesIO(raw)) as source:
            if source.format != "PNG" or source.width > MAX_SIDE or source.height > MAX_SIDE:
                raise ValidationError(_("The drawing could not be read. Draw your signature again."), code="format")
            image = source.convert("RGBA")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise ValidationError(_("The drawing could not be read. Draw your signature again."), code="format") from None
    # Ink: pixels that are visible and dark (a white background drawn by some browsers is no ink).
    alpha = image.getchannel("A")
    grey = image.convert("L")
    mask = Image.eval(grey, lambda value: 255 if value < 160 else 0)
    mask = Image.composite(mask, Image.new("L", image.size, 0), alpha.point(lambda value: 255 if value > 64 else 0))
    box = mask.getbbox()
    if box is None:
        raise _empty()
    ink = sum(mask.histogram()[128:])
    if ink < MIN_INK_PIXELS or max(box[2] - box[0], box[3] - box[1]) < MIN_INK_SPAN:
        raise _empty()
    pad = 6
    left, top = max(0, box[0] - pad), max(0, box[1] - pad)
    right, bottom = min(image.width, box[2] + pad), min(image.height, box[3] + pad)
    cropped = mask.crop((left, top, right, bottom))
    clean = Image.new("RGBA", cropped.size, (0, 0, 0, 0))
    clean.paste(Image.new("RGBA", cropped.size, INK), (0, 0), cropped)
    out = io.BytesIO()
    clean.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _font(size: int) -> ImageFont.FreeTypeFont:
    import reportlab

    return ImageFont.truetype(os.path.join(os.path.dirname(reportlab.__file__), "fonts", "VeraIt.ttf"), size)


def typed_png(name: str) -> bytes:
    """A typed signature: the name in an italic hand on transparency."""
    name = " ".join((name or "").split())
    if len(name) < 2:
        raise ValidationError(_("Type your full name."), code="empty")
    if len(name) > 80:
        raise ValidationError(_("Type at most 80 characters."), code="long")
    font = _font(64)
    left, top, right, bottom = font.getbbox(name)
    image = Image.new("RGBA", (right - left + 24, bottom - top + 24), (0, 0, 0, 0))
    ImageDraw.Draw(image).text((12 - left, 12 - top), name, font=font, fill=INK)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
