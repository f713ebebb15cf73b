"""``balie verify-pdf PATH [--json]``: whether a signed PDF is unchanged since it was signed, who
signed it and when (APR-6 point 5), as the verification page reports it.

Exit status 0 when every signature is intact and covers the document; 1 when the file was changed
after signing, has no signature, or cannot be read (or found).
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from balie.signing import verification


def _moment(value) -> str:
    if value is None:
        return "—"
    local = timezone.localtime(value)
    return f"{formats.date_format(local, 'j F Y H:i:s')} ({local.tzname()})"


class Command(BaseCommand):
    help = "Checks the digital signatures of a PDF: unchanged since signing, who signed and when. Exit 0 if intact."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the PDF to check")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args, **options):
        path = options["path"]
        try:
            with open(path, "rb") as handle:
                data = handle.read(verification.MAX_BYTES + 1)
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror or error}", returncode=1) from error
        if len(data) > verification.MAX_BYTES:
            raise CommandError(f"{path}: larger than {verification.MAX_BYTES} bytes", returncode=1)
        result = verification.check(data)
        if options["json"]:
            self.stdout.write(json.dumps({"file": path, **verification.as_dict(result)}, indent=2, ensure_ascii=False))
        else:
            self._print(path, result)
        if not result.intact:
            raise SystemExit(1)

    def _print(self, path: str, result) -> None:
        write = self.stdout.write
        write(f"{path}: {result.headline}")
        write(result.explanation)
        for number, each in enumerate(result.report.signatures, start=1):
            write("")
            write(_("Signature %(number)s: %(name)s") % {"number": number, "name": each.name or "—"})
            write("  " + _("Signed at: %(when)s") % {"when": _moment(each.signed_at)})
            if each.timestamp_at is not None:
                write("  " + _("Timestamp (timestamp authority): %(when)s") % {"when": _moment(each.timestamp_at)})
            if not (each.intact and each.valid):
                write("  " + _("Certificate: %(subject)s") % {"subject": each.certificate or "—"})
                write("  " + _("Signature: %(state)s") % {"state": _("broken: the signed contents have changed")})
                continue
            known = (
                _("known: the seal of %(owner)s") % {"owner": each.owner} if each.trusted else _("unknown certificate")
            )
            write(
                "  " + _("Certificate: %(subject)s (%(known)s)") % {"subject": each.certificate or "—", "known": known}
            )
            write("  " + _("Signature: %(state)s") % {"state": _("intact")})
            covers = (
                _("the whole document as it is now")
                if each.covers_document
                else _("not the document as it is now: changed after this signature")
            )
            write("  " + _("Covers: %(what)s") % {"what": covers})
