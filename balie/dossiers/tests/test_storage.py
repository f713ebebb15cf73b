"""The storage path of documents on local disk and on S3-compatible object storage.

The S3 variant runs against a real S3 server that checks signatures (SeaweedFS, started by
``.ci/run``); set BALIE_TEST_S3_ENDPOINT (and BALIE_TEST_S3_ACCESS_KEY/SECRET_KEY) to run it
elsewhere. Without it, it is skipped with the reason shown (and fails under CI).
"""

import hashlib
import os
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from balie.dossiers import services
from balie.dossiers.models import Document

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n" + b"% Balie storage test\n" * 4000 + b"%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


def _s3_settings():
    endpoint = os.environ.get("BALIE_TEST_S3_ENDPOINT")
    if not endpoint:
        if os.environ.get("CI"):
            pytest.fail("BALIE_TEST_S3_ENDPOINT is not set: .ci/run starts SeaweedFS for the S3 tests")
        pytest.skip("no S3 server: set BALIE_TEST_S3_ENDPOINT (.ci/run starts SeaweedFS)")
    from balie.settings import s3_storage_options

    options = s3_storage_options()
    bucket = f"balie-test-{uuid.uuid4().hex[:12]}"
    options.update(
        bucket_name=bucket,
        endpoint_url=endpoint,
        access_key=os.environ.get("BALIE_TEST_S3_ACCESS_KEY", "balie"),
        secret_key=os.environ.get("BALIE_TEST_S3_SECRET_KEY", "balie-s3-secret"),
    )
    return options


def _client(options, secret=None):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=options["endpoint_url"],
        aws_access_key_id=options["access_key"],
        aws_secret_access_key=secret or options["secret_key"],
        region_name=options["region_name"],
    )


@pytest.fixture(params=["local", "s3"])
def storage_kind(request, settings):
    if request.param == "s3":
        options = _s3_settings()
        client = _client(options)
        client.create_bucket(Bucket=options["bucket_name"])
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
        }
        yield "s3", options
        for item in client.list_objects_v2(Bucket=options["bucket_name"]).get("Contents", []):
            client.delete_object(Bucket=options["bucket_name"], Key=item["Key"])
        client.delete_bucket(Bucket=options["bucket_name"])
    else:
        yield "local", None


def _keys(kind, options):
    if kind == "s3":
        listing = _client(options).list_objects_v2(Bucket=options["bucket_name"])
        return [item["Key"] for item in listing.get("Contents", [])]
    root = default_storage.location
    return [
        os.path.relpath(os.path.join(path, name), root)
        for path, _dirs, names in os.walk(os.path.join(root, "documents"))
        for name in names
    ]


def test_a_document_is_stored_read_back_and_verified(storage_kind, personas):
    kind, options = storage_kind
    dossier = services.dossier_create(client=personas.company, description="Doorlopend dossier")
    document = services.document_add(
        dossier=dossier,
        upload=SimpleUploadedFile("Jaarrekening 2025.pdf", PDF, content_type="application/pdf"),
        direction="firm",
        actor=personas.staff.user,
    )
    version = document.current_version
    assert _keys(kind, options) == [version.file.name]
    assert "Jaarrekening" not in version.file.name
    with default_storage.open(version.file.name, "rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == version.sha256 == hashlib.sha256(PDF).hexdigest()
    if kind == "s3":
        head = _client(options).head_object(Bucket=options["bucket_name"], Key=version.file.name)
        assert head["ContentLength"] == len(PDF)
        # A real server: the wrong secret is refused.
        from botocore.exceptions import ClientError

        with pytest.raises(ClientError) as error:
            _client(options, secret="wrong").head_object(Bucket=options["bucket_name"], Key=version.file.name)
        assert error.value.response["Error"]["Code"] in {"SignatureDoesNotMatch", "403"}


def test_a_refused_file_leaves_nothing_in_the_storage(storage_kind, personas):
    kind, options = storage_kind
    dossier = services.dossier_create(client=personas.company, description="Doorlopend dossier")
    with pytest.raises(ValidationError):
        services.document_add(
            dossier=dossier,
            upload=SimpleUploadedFile("factuur.pdf", EXE, content_type="application/pdf"),
            direction="client",
            actor=personas.client_user,
        )
    assert _keys(kind, options) == []
    assert not Document.objects.exists()


def test_downloads_can_be_handed_to_the_web_server_or_to_s3(storage_kind, personas, client, settings):
    """x-accel: nginx sends the file after Balie's checks; s3-redirect: a presigned URL that serves
    the original name and type. Either way the access is logged."""
    import urllib.request

    from django.urls import reverse

    from balie.dossiers.models import DocumentAccess

    kind, options = storage_kind
    dossier = services.dossier_create(client=personas.company, description="Doorlopend dossier")
    document = services.document_add(
        dossier=dossier,
        upload=SimpleUploadedFile("Jaarrekening 2025 – definitief.pdf", PDF, content_type="application/pdf"),
        direction="firm",
        actor=personas.staff.user,
    )
    client.force_login(personas.client_user)
    url = reverse("dossiers:download", args=[personas.company.public_id, document.public_id])
    settings.BALIE_FILE_DELIVERY = "x-accel"
    response = client.get(url)
    assert response["X-Accel-Redirect"] == f"/_protected/{document.current_version.file.name}"
    assert response.content == b""
    assert "filename*=utf-8''Jaarrekening%202025%20%E2%80%93%20definitief.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff" and "sandbox" in response["Content-Security-Policy"]
    if kind == "s3":
        settings.BALIE_FILE_DELIVERY = "s3-redirect"
        response = client.get(url)
        assert response.status_code == 302
        with urllib.request.urlopen(response.url) as answer:  # noqa: S310 (the test's own S3 server)
            assert answer.read() == PDF
            assert answer.headers["Content-Type"] == "application/pdf"
            assert "attachment" in answer.headers["Content-Disposition"]
    assert DocumentAccess.objects.filter(document=document, action="download").count() == (2 if kind == "s3" else 1)
