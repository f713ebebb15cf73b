"""What the dossier tests share: small files that libmagic recognises, and looks at the storage."""

from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200 + b"This program cannot be run in DOS mode"
# The anti-virus test file: harmless, but every scanner reports it (the test clamd by a local signature).
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def stored_files(settings_=None) -> list[Path]:
    """The document files in the local storage."""
    root = Path((settings_ or settings).MEDIA_ROOT) / "documents"
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def sanity_check() -> str:
    out = StringIO()
    call_command("sanity_check", stdout=out)
    return out.getvalue()
