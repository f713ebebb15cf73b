"""Request bodies are refused by their declared length before anything reads them (security finding
2.7): 1 MB everywhere, the firm's upload limit on upload pages for people who are signed in."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from django.urls import resolve, reverse

from balie.core.limits import ADMIN_BODY_BYTES
from balie.dossiers import services
from balie.dossiers.models import Document

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


class UnreadableBody:
    """A wsgi.input that fails the test the moment anything reads from it."""

    def read(self, *args, **kwargs):
        raise AssertionError("the request body was read")

    readline = read


def post_unread(client, url, *, length: int | None, content_type="application/x-www-form-urlencoded", **extra):
    """POSTs a body of ``length`` declared bytes that must never be read."""
    environ = {"wsgi.input": UnreadableBody(), "CONTENT_TYPE": content_type, **extra}
    if length is None:
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    else:
        environ["CONTENT_LENGTH"] = str(length)
    return client.generic("POST", url, **environ)


@pytest.fixture
def csrf_client():
    """The CSRF check enforced, as in a real request: it would read the form if the limit did not stop it."""
    return HttpClient(enforce_csrf_checks=True)


@pytest.fixture
def dossier(personas):
    return services.dossier_create(client=personas.company, description="Doorlopend dossier")


def upload_url(dossier):
    return reverse("dossiers:upload", args=[dossier.client.public_id, dossier.public_id])


def test_an_anonymous_2_mb_post_to_the_sign_in_page_is_refused_unread(csrf_client):
    response = post_unread(csrf_client, reverse("account_login"), length=2 * MB)
    assert response.status_code == 413
    page = response.content.decode()
    assert "Te groot" in page and "1,0\xa0MB" in page


def test_a_body_within_the_limit_still_reaches_the_sign_in_page(client, personas):
    response = client.post(reverse("account_login"), {"login": "staff@firm-a.test", "password": "x" * 900_000})
    assert response.status_code == 200 and response.context["form"].errors  # an answer, not a refusal


def test_the_limit_is_a_setting(csrf_client, settings):
    settings.BALIE_MAX_BODY_BYTES = 10_000
    assert post_unread(csrf_client, reverse("account_login"), length=10_001).status_code == 413


def test_a_chunked_body_without_length_is_never_read(csrf_client):
    # Under WSGI Django reads no more than the Content-Length, and nothing without one.
    response = post_unread(csrf_client, reverse("account_login"), length=None)
    assert response.status_code == 403  # the CSRF check found no token in the (empty) form


def test_the_refusal_is_json_for_the_upload_scripts(csrf_client):
    response = post_unread(csrf_client, reverse("account_login"), length=2 * MB, HTTP_ACCEPT="application/json")
    assert response.status_code == 413 and response.json()["ok"] is False
    assert "te groot" in response.json()["errors"][0]


def test_an_upload_over_the_firms_limit_is_refused_unread(personas, dossier, settings):
    settings.BALIE_MAX_BODY_BYTES = 10_000
    personas.firm.upload_max_bytes = 1_000
    personas.firm.save(update_fields=["upload_max_bytes"])
    browser = HttpClient(enforce_csrf_checks=True)
    browser.force_login(personas.client_user)
    allowed = 100 * 1_000 + 10_000  # 100 files at the firm's limit, and the form around them
    response = post_unread(browser, upload_url(dossier), length=allowed + 1, content_type="multipart/form-data; b=x")
    assert response.status_code == 413 and not Document.objects.exists()
    # Just within it, the request is read (and refused by the CSRF check, which did read it).
    with pytest.raises(AssertionError, match="the request body was read"):
        post_unread(browser, upload_url(dossier), length=allowed, content_type="multipart/form-data; boundary=x")


def test_the_upload_limit_is_capped_per_request(personas, dossier, settings, client):
    settings.BALIE_MAX_BODY_BYTES = 10_000
    settings.BALIE_MAX_UPLOAD_BYTES = 50_000  # below 100 files at the firm's 250 MB
    client.force_login(personas.client_user)
    response = post_unread(client, upload_url(dossier), length=60_001, content_type="multipart/form-data; b=x")
    assert response.status_code == 413


@pytest.mark.parametrize("who", ["anonymous", "outsider", "employee_of_other_firm"])
def test_only_people_of_the_environment_may_send_large_uploads(personas, dossier, who, csrf_client):
    if who == "outsider":
        csrf_client.force_login(personas.outsider)
    elif who == "employee_of_other_firm":
        csrf_client.force_login(personas.outsider_staff.user)
    response = post_unread(csrf_client, upload_url(dossier), length=2 * MB, content_type="multipart/form-data; b=x")
    assert response.status_code == 413


def test_a_normal_upload_larger_than_the_small_limit_still_works(personas, dossier, client, settings):
    settings.BALIE_MAX_BODY_BYTES = 100_000
    client.force_login(personas.client_user)
    big = b"%PDF-1.4\n" + b"0" * 300_000 + b"\n%%EOF\n"
    folder = dossier.folders.first()
    response = client.post(
        upload_url(dossier),
        {"map": folder.public_id if folder else "", "files": SimpleUploadedFile("groot.pdf", big, "application/pdf")},
        HTTP_ACCEPT="application/json",
    )
    assert response.json() == {"ok": True, "documents": ["groot"]}
    assert Document.objects.get().current_version.size == len(big)


def test_the_operator_admin_takes_a_logo_but_not_from_anyone(personas, csrf_client, settings):
    from balie.accounts.factories import UserFactory

    url = reverse("admin:firms_firm_change", args=[personas.firm.pk])
    assert post_unread(csrf_client, url, length=2 * MB, content_type="multipart/form-data; b=x").status_code == 413
    operator = UserFactory(is_staff=True, is_superuser=True)
    csrf_client.force_login(operator)
    assert (
        post_unread(csrf_client, url, length=ADMIN_BODY_BYTES + 1, content_type="multipart/form-data; b=x").status_code
        == 413
    )
    with pytest.raises(AssertionError, match="the request body was read"):
        post_unread(csrf_client, url, length=2 * MB, content_type="multipart/form-data; boundary=x")


UPLOAD_VIEWS = [
    ("dossiers:upload", ["client", "dossier"]),
    ("dossiers_staff:publish", ["client", "dossier"]),
    ("dossiers_staff:document_replace", ["client", "dossier", "document"]),
    ("dossiers_staff:bulk_new", []),
    ("messaging:question", ["client"]),
    ("messaging:contact", ["client"]),
    ("messaging:dossier_new", ["client", "dossier"]),
    ("messaging:thread", ["client", "thread"]),
    ("messaging_staff:new", ["client"]),
    ("messaging_staff:reply", ["thread"]),
    ("verify:page", []),
    ("verify:seal", []),
]


@pytest.mark.parametrize(("name", "kwargs"), UPLOAD_VIEWS)
def test_every_page_that_takes_files_declares_its_limit(name, kwargs):
    import uuid

    match = resolve(reverse(name, kwargs={key: uuid.uuid4() for key in kwargs}))
    assert getattr(match.func, "balie_body_limit", None) is not None, name


def test_the_largest_signature_drawing_fits_in_the_small_limit(settings):
    from balie.signing.forms import MAX_DRAWING_CHARS

    # Sent as a form field: base64's "+" and "/" (1 in 32 characters) become 3 characters each.
    assert MAX_DRAWING_CHARS * 1.25 + 10_000 < settings.BALIE_MAX_BODY_BYTES
