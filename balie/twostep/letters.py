"""The PIN activation letter (ACC-5): a one-page PDF the firm prints and sends by post."""

from __future__ import annotations

import io
import logging
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from balie.twostep.models import Factor, PinLetter

logger = logging.getLogger(__name__)

LOGO_BOX = (50 * mm, 20 * mm)
GREY = colors.HexColor("#555555")


def pin_letter_pdf(letter: PinLetter, pin: str, *, client=None) -> bytes:
    """The letter in the person's language: the firm's letterhead, how to activate, the PIN.

    ``client`` (the environment the letter was made from) gives the postal address, when known.
    Written uncompressed and ``invariant`` (no creation time or random id in the file): the same
    letter gives the same bytes, and the PIN can be found in the file by tests.
    """
    user, firm = letter.user, letter.firm
    language = user.language or settings.LANGUAGE_CODE
    with translation.override(language):
        story = _story(letter, pin, firm=firm, user=user, client=client)
        title = _("Activation letter")
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=title,
        author=firm.name,
        lang=language,
        invariant=1,
        pageCompression=0,
    )
    document.build(story)
    return buffer.getvalue()


def _styles(colour):
    base = ParagraphStyle("body", fontName="Helvetica", fontSize=10.5, leading=14.5, spaceAfter=7)
    return {
        "body": base,
        "firm": ParagraphStyle("firm", base, fontName="Helvetica-Bold", fontSize=17, leading=21, textColor=colour),
        "address": ParagraphStyle("address", base, fontSize=9, leading=12, textColor=GREY, spaceAfter=0),
        "recipient": ParagraphStyle("recipient", base, spaceAfter=0),
        "subject": ParagraphStyle("subject", base, fontName="Helvetica-Bold", fontSize=12, leading=16, spaceAfter=10),
        "step": ParagraphStyle("step", base, leftIndent=16, bulletIndent=0, spaceAfter=4),
        "pin_label": ParagraphStyle("pin_label", base, fontSize=9, textColor=GREY, spaceAfter=2),
        "pin": ParagraphStyle("pin", base, fontName="Courier-Bold", fontSize=30, leading=34, spaceAfter=0),
        "warning": ParagraphStyle("warning", base, fontName="Helvetica-Bold"),
    }


def _lines(text: str) -> str:
    return "<br/>".join(escape(line.strip()) for line in text.splitlines() if line.strip())


def _story(letter: PinLetter, pin: str, *, firm, user, client) -> list:
    colour = colors.HexColor(firm.brand_text)  # headings on white paper
    styles = _styles(colour)
    firm_name = escape(firm.name)
    name = user.get_full_name() or user.email
    story: list = []

    # Letterhead
    logo = letterhead_logo(firm)
    if logo is not None:
        story += [logo, Spacer(1, 4 * mm)]
    story.append(Paragraph(firm_name, styles["firm"]))
    if firm.address.strip():
        story.append(Paragraph(_lines(firm.address), styles["address"]))
    story.append(Spacer(1, 14 * mm))

    # Recipient and date
    recipient = [escape(name)]
    if client is not None:
        if client.kind != client.Kind.PERSONAL:
            recipient = [escape(client.name), escape(_("Attn. %(name)s") % {"name": name})]
        recipient += [escape(line) for line in (client.street, f"{client.postal_code} {client.city}") if line.strip()]
    story.append(Paragraph("<br/>".join(recipient), styles["recipient"]))
    story.append(Spacer(1, 10 * mm))
    story.append(Paragraph(escape(_date(letter.created_at)), styles["body"]))
    story.append(Spacer(1, 4 * mm))

    # The letter
    story.append(Paragraph(escape(_("Your PIN for two-step verification")), styles["subject"]))
    story.append(Paragraph(escape(_("Dear %(name)s,") % {"name": name}), styles["body"]))
    story.append(
        Paragraph(
            escape(
                _(
                    "%(firm)s protects your documents with two-step verification. With the PIN in this letter "
                    "you link your mobile number to your account. After that you receive a code by SMS to sign "
                    "in and to confirm approvals."
                )
                % {"firm": firm.name}
            ),
            styles["body"],
        )
    )
    story.append(Paragraph(escape(_("How to activate the PIN:")), styles["body"]))
    site = settings.BALIE_SITE_URL
    steps = [
        _("Go to %(site)s and sign in with your e-mail address and password.") % {"site": site}
        if site
        else _("Sign in to the client portal with your e-mail address and password."),
        _("Go to %(path)s and choose “%(action)s”.")
        % {
            "path": f"{_('My details')} › {_('Two-step verification')}",
            "action": _("Enter PIN from letter"),
        },
        _("Enter the PIN below and your mobile number."),
        _("You receive a code by SMS. Enter it to finish."),
    ]
    for number, step in enumerate(steps, start=1):
        story.append(Paragraph(escape(step), styles["step"], bulletText=f"{number}."))
    story.append(Spacer(1, 5 * mm))

    # The PIN, large and monospaced, in a box
    box = Table(
        [[Paragraph(escape(_("Your PIN")), styles["pin_label"])], [Paragraph(escape(pin), styles["pin"])]],
        colWidths=[80 * mm],
        hAlign="LEFT",
    )
    box.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 1.2, colour),
                ("LEFTPADDING", (0, 0), (-1, -1), 5 * mm),
                ("TOPPADDING", (0, 0), (-1, 0), 3 * mm),
                ("BOTTOMPADDING", (0, -1), (-1, -1), 4 * mm),
            ]
        )
    )
    story += [box, Spacer(1, 3 * mm)]
    story.append(
        Paragraph(escape(_("The PIN is valid until %(date)s.") % {"date": _date(letter.expires_at)}), styles["body"])
    )
    story.append(Spacer(1, 3 * mm))
    story.append(
        Paragraph(
            escape(
                _(
                    "Never share this PIN with anyone. %(firm)s will never ask you for it, not by phone and not "
                    "by e-mail."
                )
                % {"firm": firm.name}
            ),
            styles["warning"],
        )
    )
    if Factor.PIN.value in (firm.stepup_factors or []):
        story.append(
            Paragraph(
                escape(_("Keep this letter in a safe place: after activation the PIN also confirms approvals.")),
                styles["body"],
            )
        )
    story.append(
        Paragraph(
            escape(_("Did you not expect this letter? Please contact %(firm)s.") % {"firm": firm.name}),
            styles["body"],
        )
    )
    story.append(Spacer(1, 6 * mm))
    story.append(Paragraph(escape(_("Kind regards,")), styles["body"]))
    story.append(Paragraph(firm_name, styles["body"]))
    return story


def _date(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "j F Y")


def letterhead_logo(firm) -> Image | None:
    """The firm's logo fitted into the letterhead, or None without one (or when it cannot be read)."""
    if not firm.logo:
        return None
    try:
        with firm.logo.open("rb") as file:
            data = file.read()
        width, height = ImageReader(io.BytesIO(data)).getSize()
    except Exception:  # a missing or broken logo must not stop the letter
        logger.warning("Firm %s: logo could not be read for the PIN letter", firm.pk, exc_info=True)
        return None
    scale = min(LOGO_BOX[0] / width, LOGO_BOX[1] / height)
    return Image(io.BytesIO(data), width=width * scale, height=height * scale, hAlign="LEFT")
