"""The approval certificate (APR-7): one PDF that states what was decided on which exact version.

It names the firm, the environment, the document and the SHA-256 of the version the request was
about, and for every decision who, when (Europe/Amsterdam), what, the comment, the confirmation
factor and, for a decision given outside the portal, how it was given and who recorded it. Anyone
holding the file can check the hash against the document.

There are two copies (``evidence``): the firm's (``FULL``) also states each decider's IP address and
user agent; the client's (``CLIENT``), which every member of the environment may download, leaves
those out: one director's whereabouts and browser are not the other members' business.

For a sign request it is the signing certificate: the signers in their turn, each signature (how it
was given, the SHA-256 of the PDF right after it was sealed in) and the signed PDF's SHA-256.

Every copy is sealed by the firm (BEY-1): an invisible PAdES signature with the firm's seal
certificate over the whole file, so that it can be checked offline, in any PDF reader or with
``balie verify-pdf``, that the file is the firm's and unchanged.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from balie.approvals import kernel
from balie.approvals.models import Decision, Kind, Request
from balie.twostep.letters import GREY, letterhead_logo
from balie.twostep.models import Factor

FULL, CLIENT = "full", "client"  # the firm's copy, the client's copy
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
LABEL_WIDTH = 42 * mm
CONTENT_WIDTH = A4[0] - 40 * mm


def approval_certificate_pdf(approval: Request, *, evidence: str, language: str | None = None) -> bytes:
    """The certificate of ``approval`` in ``language`` (else the active language), as PDF bytes,
    sealed by the firm (PAdES; B-T with a timestamp authority, else B-B).

    ``evidence`` (no default: every caller chooses): ``FULL`` for the firm (with the deciders' IP
    addresses and user agents), ``CLIENT`` for the members of the environment (without them).

    Reads the request's decisions and filings itself (a handful of queries), so the caller only
    has to have checked access. reportlab's own creation time and random file id are left out
    (``invariant``); the time the certificate was drawn up is stated in its text.
    """
    drawn = _drawn(approval, evidence=evidence, language=language)
    firm = approval.client.firm
    with translation.override(language or translation.get_language()):
        reason = _("Evidence of %(firm)s: %(document)s") % {"firm": firm.name, "document": approval.document.title}
    return kernel.seal_pdf(drawn, firm=firm, reason=reason)


def _drawn(approval: Request, *, evidence: str, language: str | None) -> bytes:
    if evidence not in (FULL, CLIENT):
        raise ValueError(f"Unknown evidence {evidence!r}: choose {FULL!r} or {CLIENT!r}.")
    approval = (
        Request.objects.select_related(
            "client__firm", "document", "version", "version__created_by", "created_by", "settled_by"
        )
        .prefetch_related("named")
        .get(pk=approval.pk)
    )
    decisions = list(Decision.objects.filter(request=approval).select_related("user", "recorded_by"))
    submissions = list(approval.submissions.order_by("created_at", "pk"))
    signing = kernel.evidence(approval) if approval.kind == Kind.SIGN else None
    firm = approval.client.firm
    with translation.override(language or translation.get_language()):
        title = _("Signing certificate") if signing else _("Approval certificate")
        story = _story(approval, decisions, submissions, firm=firm, title=title, full=evidence == FULL, signing=signing)
        buffer = io.BytesIO()
        document = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=20 * mm,
            rightMargin=20 * mm,
            topMargin=16 * mm,
            bottomMargin=18 * mm,
            title=f"{title}: {approval.document.title}",
            author=firm.name,
            subject=approval.version.sha256,
            lang=translation.get_language(),
            invariant=1,
        )
        if signing:
            footer = _("%(firm)s · signing certificate · %(id)s · page")
        else:
            footer = _("%(firm)s · approval certificate · %(id)s · page")
        footer = footer % {"firm": firm.name, "id": approval.public_id}
        document.build(story, onFirstPage=_footer(footer), onLaterPages=_footer(footer))
    return buffer.getvalue()


def _footer(text: str):
    def draw(canvas, document) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(GREY)
        canvas.drawString(document.leftMargin, 10 * mm, f"{text} {document.page}")
        canvas.restoreState()

    return draw


def _styles(colour):
    base = ParagraphStyle("body", fontName="Helvetica", fontSize=9.5, leading=12.5, spaceAfter=4)
    return {
        "body": base,
        "firm": ParagraphStyle("firm", base, fontName="Helvetica-Bold", fontSize=16, leading=20, textColor=colour),
        "address": ParagraphStyle("address", base, fontSize=8.5, leading=11, textColor=GREY, spaceAfter=0),
        "title": ParagraphStyle("title", base, fontName="Helvetica-Bold", fontSize=14, leading=18, spaceAfter=6),
        "heading": ParagraphStyle(
            "heading", base, fontName="Helvetica-Bold", fontSize=11, leading=14, spaceBefore=8, textColor=colour
        ),
        "label": ParagraphStyle("label", base, fontSize=8.5, leading=11, textColor=GREY, spaceAfter=0),
        "value": ParagraphStyle("value", base, spaceAfter=0),
        "hash": ParagraphStyle("hash", base, fontName="Courier", fontSize=8.5, leading=11, spaceAfter=0),
        "small": ParagraphStyle("small", base, fontSize=8, leading=10, spaceAfter=0),
        "note": ParagraphStyle("note", base, fontName="Helvetica-Bold", spaceAfter=0),
    }


def _text(value) -> str:
    """Escaped for reportlab's paragraph markup, line breaks kept."""
    return "<br/>".join(escape(line) for line in str(value).splitlines()) or "—"


def moment(value) -> str:
    """A time as the certificate states it: Amsterdam time, to the second, with the zone named."""
    if value is None:
        return "—"
    local = timezone.localtime(value, AMSTERDAM)
    return f"{formats.date_format(local, 'j F Y H:i:s')} ({local.tzname()}, Europe/Amsterdam)"


def person(user) -> str:
    if user is None:
        return "—"
    name = user.get_full_name()
    return f"{name} <{user.email}>" if name else user.email


def factor_label(value: str) -> str:
    if not value:
        return "—"
    try:
        return str(Factor(value).label)
    except ValueError:
        return value


def _facts(rows, styles) -> Table:
    """A two-column table: grey label, value (values are already paragraph markup)."""
    data = [
        [
            Paragraph(escape(label), styles["label"]),
            value if not isinstance(value, str) else Paragraph(value, styles["value"]),
        ]
        for label, value in rows
    ]
    table = Table(data, colWidths=[LABEL_WIDTH, CONTENT_WIDTH - LABEL_WIDTH], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        )
    )
    return table


def _story(approval: Request, decisions, submissions, *, firm, title: str, full: bool, signing=None) -> list:
    colour = colors.HexColor(firm.brand_text)  # headings on white paper
    styles = _styles(colour)
    story = _letterhead(firm, title, styles)
    story.append(Paragraph(escape(_intro(signing=signing, full=full)), styles["body"]))
    story += _document_section(approval, firm=firm, styles=styles)
    story += _request_section(approval, firm=firm, signing=signing, styles=styles)
    story += _decisions_section(decisions, version=approval.version, full=full, signing=signing, styles=styles)
    if signing and signing.signed_file is not None and signing.signed_file.sealed:
        story += _signed_file(signing, styles)
    if submissions:
        story += _filing_section(submissions, styles)
    story.append(Spacer(1, 6 * mm))
    story.append(
        Paragraph(
            escape(_("Drawn up on %(when)s.") % {"when": moment(timezone.now())}),
            styles["small"],
        )
    )
    return story


def _letterhead(firm, title: str, styles) -> list:
    """The firm's logo, name and address, then the certificate's title."""
    story: list = []
    logo = letterhead_logo(firm)
    if logo is not None:
        story += [logo, Spacer(1, 3 * mm)]
    story.append(Paragraph(escape(firm.name), styles["firm"]))
    if firm.address.strip():
        lines = [line.strip() for line in firm.address.splitlines() if line.strip()]
        story.append(Paragraph("<br/>".join(escape(line) for line in lines), styles["address"]))
    story.append(Spacer(1, 8 * mm))
    story.append(Paragraph(escape(title), styles["title"]))
    return story


def _intro(*, signing, full: bool) -> str:
    """What the certificate records: signatures or decisions, with or without the further evidence."""
    if signing and full:
        return _(
            "This certificate records who signed the document version below, when, how they confirmed "
            "it and from where. The SHA-256 fingerprint identifies the exact file: any change to the file "
            "gives another fingerprint. Each signature is sealed into the signed PDF itself as well."
        )
    if signing:
        return _(
            "This certificate records who signed the document version below, when and how they confirmed "
            "it; the firm keeps the further evidence (IP address and browser) on record. The SHA-256 "
            "fingerprint identifies the exact file: any change to the file gives another fingerprint. "
            "Each signature is sealed into the signed PDF itself as well."
        )
    if full:
        return _(
            "This certificate records who decided on the document version below, when, how they "
            "confirmed it and from where. The SHA-256 fingerprint identifies the exact file: any "
            "change to the file gives another fingerprint."
        )
    return _(
        "This certificate records who decided on the document version below, when and how they "
        "confirmed it; the firm keeps the further evidence (IP address and browser) on record. The "
        "SHA-256 fingerprint identifies the exact file: any change to the file gives another fingerprint."
    )


def _document_section(approval: Request, *, firm, styles) -> list:
    """The document and the exact version the request is about, with its SHA-256."""
    document, version, client = approval.document, approval.version, approval.client
    period = " ".join(part for part in (str(document.year or ""), document.period) if part)
    client_name = client.name + (f" ({client.number})" if client.number else "")
    return [
        Paragraph(escape(_("Document")), styles["heading"]),
        _facts(
            [
                (_("Firm"), _text(firm.name)),
                (_("Environment"), _text(client_name)),
                (_("Document"), _text(document.title)),
                (_("Type"), _text(document.get_doc_type_display())),
                (_("Year and period"), _text(period or "—")),
                (
                    _("Version"),
                    _text(
                        _("%(number)s, %(name)s, %(size)s bytes, added %(when)s")
                        % {
                            "number": version.number,
                            "name": version.original_name,
                            "size": version.size,
                            "when": moment(version.created_at),
                        }
                    ),
                ),
                (_("SHA-256"), Paragraph(escape(version.sha256), styles["hash"])),
            ],
            styles,
        ),
    ]


def _request_section(approval: Request, *, firm, signing, styles) -> list:
    """What was asked of whom (the signers in their turns for a sign request), by whom, and where it stands."""
    heading = Paragraph(escape(_("Request")), styles["heading"])
    rows = [(_("Request"), _text(approval.get_kind_display()))]
    if signing:
        rows.append((_("Signers"), _text("\n".join(_signer_lines(signing.signers, firm=firm)))))
    else:
        rows.append((_("Who must act"), _text(approval.get_audience_display())))
        named = [person(user) for user in approval.named.all()]
        if named:
            rows.append((_("Named people"), _text("\n".join(named))))
        rows += [
            (_("Approvals needed"), _text(approval.get_required_display())),
            (_("After approval"), _text(approval.get_after_display())),
        ]
    rows.append((_("Asked by"), _text(f"{person(approval.created_by)}, {moment(approval.created_at)}")))
    if approval.due_date:
        rows.append((_("Due date"), _text(formats.date_format(approval.due_date, "j F Y"))))
    since = _("since %(when)s") % {"when": moment(approval.status_changed_at)}
    rows.append((_("Current status"), f"<b>{escape(approval.get_status_display())}</b> {escape(since)}"))
    if approval.settled_by_id:
        rows.append((_("Settled by"), _text(person(approval.settled_by))))
    return [heading, _facts(rows, styles)]


def _decisions_section(decisions, *, version, full: bool, signing, styles) -> list:
    """Every decision as a block kept on one page, numbered; a line when there is none yet."""
    story: list = [Paragraph(escape(_("Decisions")), styles["heading"])]
    if not decisions:
        story.append(Paragraph(escape(_("Nobody has decided yet.")), styles["body"]))
    for number, decision in enumerate(decisions, start=1):
        rows = _decision_rows(decision, version=version, full=full, signing=signing, styles=styles)
        block = [
            Paragraph(escape(_("Decision %(number)s") % {"number": number}), styles["note"]),
            _facts(rows, styles),
        ]
        story.append(KeepTogether(block + [Spacer(1, 3 * mm)]))
    return story


def _decision_rows(decision, *, version, full: bool, signing, styles) -> list:
    """Who decided what and when, how it was given or confirmed (with IP address and user agent on
    the firm's copy), the signature it carries, and the version's SHA-256 if it differs."""
    rows = [
        (_("Who"), f"<b>{_text(person(decision.user))}</b>"),
        (_("When"), _text(moment(decision.decided_at))),
        (_("Decision"), f"<b>{escape(decision.get_outcome_display())}</b>"),
        (_("Comment"), _text(decision.comment or "—")),
    ]
    if decision.recorded_by_id:
        rows += [
            (
                _("Given outside the portal"),
                Paragraph(
                    escape(_("Recorded by %(person)s") % {"person": person(decision.recorded_by)}), styles["note"]
                ),
            ),
            (_("How it was given"), _text(decision.outside_note)),
        ]
    else:
        rows.append((_("Confirmed with"), _text(factor_label(decision.factor))))
        if full:  # the firm's copy only
            rows += [
                (_("IP address"), _text(decision.ip_address or "—")),
                (_("User agent"), Paragraph(escape(decision.user_agent or "—"), styles["small"])),
            ]
    signature = signing.signatures.get(decision.pk) if signing else None
    if signature is not None:
        rows += _signature_rows(signature, styles)
    if decision.version_sha256 != version.sha256:  # never expected: say so rather than hide it
        rows.append((_("SHA-256 decided on"), Paragraph(escape(decision.version_sha256), styles["hash"])))
    return rows


def _filing_section(submissions, styles) -> list:
    """Each filing of the document with a receiver: its state, attempts and the receiver's reference."""
    story: list = [Paragraph(escape(_("Filing")), styles["heading"])]
    for submission in submissions:
        rows = [
            (_("Receiver"), _text(submission.get_connector_display())),
            (_("State"), _text(submission.get_state_display())),
            (_("Attempts"), _text(submission.attempts)),
            (_("Receiver's reference"), _text(submission.reference or "—")),
            (_("Started"), _text(moment(submission.created_at))),
        ]
        if submission.finished_at:
            rows.append((_("Finished"), _text(moment(submission.finished_at))))
        story.append(KeepTogether([_facts(rows, styles), Spacer(1, 3 * mm)]))
    return story


def _signer_lines(signers, *, firm) -> list[str]:
    """ "Turn 1: name <e-mail> (for the firm)", in the order of signing; people who sign at the same
    time share a turn."""
    turns = {position: number for number, position in enumerate(sorted({each.position for each in signers}), start=1)}
    lines = []
    for signer in signers:
        line = _("Turn %(turn)s: %(person)s") % {"turn": turns[signer.position], "person": person(signer.user)}
        if signer.is_firm:
            line += " " + _("(for %(firm)s)") % {"firm": firm.name}
        lines.append(line)
    return lines or ["—"]


def _signature_rows(signature, styles) -> list:
    """How a signature was given and how far its sealing into the PDF came."""
    method = signature.get_method_display()
    if signature.typed_name:
        method = f"{method}: {signature.typed_name}"
    rows = [(_("Signature"), _text(method))]
    if signature.sealed_at:
        rows.append((_("Sealed into the PDF"), _text(moment(signature.sealed_at))))
    else:
        rows.append((_("Sealed into the PDF"), _text(signature.get_state_display())))
    if signature.result_sha256:
        rows.append((_("SHA-256 of the PDF after it"), Paragraph(escape(signature.result_sha256), styles["hash"])))
    return rows


def _signed_file(signing, styles) -> list:
    """The signed PDF: how many signatures it holds, its SHA-256 and the version it became."""
    signed = signing.signed_file
    rows = [
        (
            _("Signatures in it"),
            _text(_("%(sealed)s of %(total)s") % {"sealed": signed.sealed, "total": len(signing.signers)}),
        ),
        (_("SHA-256"), Paragraph(escape(signed.sha256), styles["hash"])),
    ]
    if signed.version is not None:
        version = signed.version
        rows.append(
            (
                _("Version"),
                _text(
                    _("%(number)s, %(name)s, %(size)s bytes, added %(when)s")
                    % {
                        "number": version.number,
                        "name": version.original_name,
                        "size": version.size,
                        "when": moment(version.created_at),
                    }
                ),
            )
        )
    heading = _("Signed PDF") if signed.version is not None else _("Signed PDF so far")
    note = _(
        "The signed PDF holds each signature as a digital signature (PAdES) sealed with the firm's "
        "certificate: any PDF reader shows whether it changed after signing."
    )
    return [
        Paragraph(escape(heading), styles["heading"]),
        _facts(rows, styles),
        Paragraph(escape(note), styles["small"]),
    ]
