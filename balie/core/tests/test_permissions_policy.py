"""The Permissions-Policy header (security finding 2.8): browser features Balie does not use are off
on every response, pages and files alike; passkeys stay on for Balie itself."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from balie.dossiers import services

pytestmark = pytest.mark.django_db

OFF = ("camera", "microphone", "geolocation", "payment", "usb", "browsing-topics", "interest-cohort", "serial")
SELF = ("publickey-credentials-get", "publickey-credentials-create")


def policy(response) -> dict[str, str]:
    header = response.headers["Permissions-Policy"]
    return dict(part.strip().split("=", 1) for part in header.split(","))


def assert_restrictive(response) -> None:
    features = policy(response)
    for feature in OFF:
        assert features[feature] == "()", feature
    for feature in SELF:
        assert features[feature] == "(self)", feature
    assert all(allowed in ("()", "(self)") for allowed in features.values())  # never another origin


def test_pages_switch_unused_browser_features_off(client, personas):
    assert_restrictive(client.get(reverse("account_login")))
    client.force_login(personas.client_user)
    assert_restrictive(client.get(reverse("home:client", args=[personas.company.public_id])))


def test_downloads_and_previews_carry_the_policy_too(client, personas):
    dossier = services.dossier_create(client=personas.company, description="Doorlopend dossier")
    document = services.document_add(
        dossier=dossier,
        upload=SimpleUploadedFile("jaarrekening.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"),
        direction="firm",
        actor=personas.staff.user,
    )
    client.force_login(personas.client_user)
    # A PDF's preview bytes are an opaque attachment (PDF.js draws them), its download a PDF.
    for name, content_type in (("download", "application/pdf"), ("inline", "application/octet-stream")):
        response = client.get(reverse(f"dossiers:{name}", args=[personas.company.public_id, document.public_id]))
        assert response.status_code == 200 and response["Content-Type"] == content_type, name
        assert_restrictive(response)
