"""Every URL that names an object, called by another tenant with real ids, answers 404 (SEC-1); every
URL of allauth answers as listed for visitors and signed-in people, or 404 (finding 2.5)."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from balie.clients.services import invitation_create
from balie.todos.services import todo_create

pytestmark = pytest.mark.django_db

# Every route with an object in its path, with who calls it and the other tenant's objects.
# (name, user persona attribute, kwargs builder, methods)
CASES = {
    "notifications:open": ("outsider", lambda p, inv, todo: {"notification": _notification(p).public_id}, ["get"]),
    "notifications:staff_resend": ("outsider_staff", lambda p, inv, todo: {"message": _outbox_message(p)}, ["post"]),
    "todos:open": ("outsider", lambda p, inv, todo: {"client": p.company.public_id, "todo": todo.public_id}, ["get"]),
    "todos:staff_remind": ("outsider_staff", lambda p, inv, todo: {"todo": todo.public_id}, ["post"]),
    "accounts:session_end": ("outsider", lambda p, inv, todo: {"session": _user_session(p).public_id}, ["post"]),
    "twostep:stepup_sms": ("outsider", lambda p, inv, todo: {"challenge": _challenge(p).public_id}, ["post"]),
    "twostep:passkey_remove": ("outsider", lambda p, inv, todo: {"pk": _passkey(p).pk}, ["get", "post"]),
    "twostep:email_change_cancel": ("outsider", lambda p, inv, todo: {"change": _email_change(p)}, ["get", "post"]),
    # -- dossiers, client side --
    "dossiers:list": ("outsider", lambda p, inv, todo: {"client": p.company.public_id}, ["get"]),
    "dossiers:upload": (
        "outsider",
        lambda p, inv, todo: {"client": p.company.public_id, "dossier": _document(p).dossier.public_id},
        ["get", "post"],
    ),
    "dossiers:detail": (
        "outsider",
        lambda p, inv, todo: {"client": p.company.public_id, "dossier": _document(p).dossier.public_id},
        ["get"],
    ),
    "dossiers:document": (
        "outsider",
        lambda p, inv, todo: {"client": p.company.public_id, "document": _document(p).public_id},
        ["get"],
    ),
    "dossiers:download": (
        "outsider",
        lambda p, inv, todo: {"client": p.company.public_id, "document": _document(p).public_id},
        ["get"],
    ),
    "dossiers:inline": (
        "outsider",
        lambda p, inv, todo: {"client": p.company.public_id, "document": _document(p).public_id},
        ["get"],
    ),
    # -- dossiers, staff side --
    "dossiers_staff:dossier_new": (
        "outsider_staff",
        lambda p, inv, todo: {"client": p.company.public_id},
        ["get", "post"],
    ),
    "dossiers_staff:dossier": ("outsider_staff", lambda p, inv, todo: _firm_dossier(p), ["get"]),
    "dossiers_staff:dossier_edit": ("outsider_staff", lambda p, inv, todo: _firm_dossier(p), ["get", "post"]),
    "dossiers_staff:folder_add": ("outsider_staff", lambda p, inv, todo: _firm_dossier(p), ["post"]),
    "dossiers_staff:step_add": ("outsider_staff", lambda p, inv, todo: _firm_dossier(p), ["post"]),
    "dossiers_staff:documents_ask": ("outsider_staff", lambda p, inv, todo: _firm_dossier(p), ["post"]),
    "dossiers_staff:step_toggle": ("outsider_staff", lambda p, inv, todo: _firm_dossier(p, step=True), ["post"]),
    "dossiers_staff:publish": ("outsider_staff", lambda p, inv, todo: _firm_dossier(p), ["post"]),
    "dossiers_staff:document": ("outsider_staff", lambda p, inv, todo: _firm_document(p), ["get"]),
    "dossiers_staff:document_replace": ("outsider_staff", lambda p, inv, todo: _firm_document(p), ["post"]),
    "dossiers_staff:document_withdraw": ("outsider_staff", lambda p, inv, todo: _firm_document(p), ["get", "post"]),
    "dossiers_staff:version_download": (
        "outsider_staff",
        lambda p, inv, todo: _firm_document(p, version=True),
        ["get"],
    ),
    "dossiers_staff:bulk": ("outsider_staff", lambda p, inv, todo: _bulk(p), ["get"]),
    "dossiers_staff:bulk_confirm": ("outsider_staff", lambda p, inv, todo: _bulk(p), ["post"]),
    "dossiers_staff:bulk_cancel": ("outsider_staff", lambda p, inv, todo: _bulk(p), ["post"]),
    "dossiers_staff:bulk_retry": ("outsider_staff", lambda p, inv, todo: _bulk(p), ["post"]),
    "home:client": ("outsider", lambda p, inv, todo: {"client": p.company.public_id}, ["get"]),
    "home:manager_photo": (
        "outsider",
        lambda p, inv, todo: {"client": p.company.public_id, "user": p.staff.user.public_id},
        ["get"],
    ),
    "firms:staff_photo": (
        "outsider_staff",
        lambda p, inv, todo: {"user": _staff_with_photo(p).user.public_id},
        ["get"],
    ),
    "clients:staff_detail": ("outsider_staff", lambda p, inv, todo: {"client": p.company.public_id}, ["get"]),
    "clients:staff_edit": ("outsider_staff", lambda p, inv, todo: {"client": p.company.public_id}, ["get", "post"]),
    "clients:staff_tile_add": ("outsider_staff", lambda p, inv, todo: {"client": p.company.public_id}, ["post"]),
    "clients:staff_tile_remove": (
        "outsider_staff",
        lambda p, inv, todo: {"client": p.company.public_id, "tile": _tile(p).public_id},
        ["post"],
    ),
    "clients:staff_invite": ("outsider_staff", lambda p, inv, todo: {"client": p.company.public_id}, ["post"]),
    "clients:staff_invitation_resend": (
        "outsider_staff",
        lambda p, inv, todo: {"client": p.company.public_id, "invitation": inv.public_id},
        ["post"],
    ),
    # -- organisation data and change requests (client and staff side) --
    "organisation:detail": ("outsider", lambda p, inv, todo: {"client": p.company.public_id}, ["get"]),
    "organisation:edit": ("outsider", lambda p, inv, todo: {"client": p.company.public_id}, ["get", "post"]),
    "organisation:withdraw": (
        "outsider",
        lambda p, inv, todo: {"client": p.company.public_id, "request": _change_request(p).public_id},
        ["post"],
    ),
    "organisation:history": ("outsider", lambda p, inv, todo: {"client": p.company.public_id}, ["get"]),
    "organisation:viewers": ("outsider", lambda p, inv, todo: {"client": p.company.public_id}, ["get"]),
    "organisation_staff:request": (
        "outsider_staff",
        lambda p, inv, todo: {"request": _change_request(p).public_id},
        ["get"],
    ),
    "organisation_staff:approve": (
        "outsider_staff",
        lambda p, inv, todo: {"request": _change_request(p).public_id},
        ["post"],
    ),
    "organisation_staff:reject": (
        "outsider_staff",
        lambda p, inv, todo: {"request": _change_request(p).public_id},
        ["post"],
    ),
    "organisation_staff:history": ("outsider_staff", lambda p, inv, todo: {"client": p.company.public_id}, ["get"]),
    # -- contact persons and access (client and staff side) --
    "contacts:list": ("outsider", lambda p, inv, todo: {"client": p.company.public_id}, ["get"]),
    "contacts:add": ("outsider", lambda p, inv, todo: {"client": p.company.public_id}, ["get", "post"]),
    "contacts:edit": (
        "outsider",
        lambda p, inv, todo: {"client": p.company.public_id, "contact": p.company.contacts.first().public_id},
        ["get", "post"],
    ),
    "contacts:detail": (
        "outsider",
        lambda p, inv, todo: {"client": p.company.public_id, "contact": p.company.contacts.first().public_id},
        ["get"],
    ),
    "contacts:email": (
        "outsider",
        lambda p, inv, todo: {"client": p.company.public_id, "contact": p.company.contacts.first().public_id},
        ["get", "post"],
    ),
    "contacts:access_remove": (
        "outsider",
        lambda p, inv, todo: {"client": p.company.public_id, "contact": p.company.contacts.first().public_id},
        ["get", "post"],
    ),
    "contacts:delete": (
        "outsider",
        lambda p, inv, todo: {"client": p.company.public_id, "contact": p.company.contacts.first().public_id},
        ["get", "post"],
    ),
    "contacts:invitation_resend": (
        "outsider",
        lambda p, inv, todo: {"client": p.company.public_id, "contact": p.company.contacts.first().public_id},
        ["post"],
    ),
    "contacts:invitation_revoke": (
        "outsider",
        lambda p, inv, todo: {"client": p.company.public_id, "invitation": inv.public_id},
        ["post"],
    ),
    "contacts_staff:add": ("outsider_staff", lambda p, inv, todo: {"client": p.company.public_id}, ["get", "post"]),
    "contacts_staff:edit": (
        "outsider_staff",
        lambda p, inv, todo: {"client": p.company.public_id, "contact": p.company.contacts.first().public_id},
        ["get", "post"],
    ),
    "contacts_staff:detail": (
        "outsider_staff",
        lambda p, inv, todo: {"client": p.company.public_id, "contact": p.company.contacts.first().public_id},
        ["get"],
    ),
    "contacts_staff:email": (
        "outsider_staff",
        lambda p, inv, todo: {"client": p.company.public_id, "contact": p.company.contacts.first().public_id},
        ["get", "post"],
    ),
    "contacts_staff:access_remove": (
        "outsider_staff",
        lambda p, inv, todo: {"client": p.company.public_id, "contact": p.company.contacts.first().public_id},
        ["get", "post"],
    ),
    "contacts_staff:delete": (
        "outsider_staff",
        lambda p, inv, todo: {"client": p.company.public_id, "contact": p.company.contacts.first().public_id},
        ["get", "post"],
    ),
    "contacts_staff:invitation_revoke": (
        "outsider_staff",
        lambda p, inv, todo: {"client": p.company.public_id, "invitation": inv.public_id},
        ["post"],
    ),
    "twostep_staff:pin_letter": ("outsider_staff", lambda p, inv, todo: _person(p, p.company), ["post"]),
    "twostep_staff:factors_reset": ("outsider_staff", lambda p, inv, todo: _person(p, p.company), ["get", "post"]),
    # -- approvals, client side --
    "approvals:detail": ("outsider", lambda p, inv, todo: {"client": p.company.public_id, **_approval(p)}, ["get"]),
    "approvals:decide": ("outsider", lambda p, inv, todo: {"client": p.company.public_id, **_approval(p)}, ["post"]),
    "approvals:acknowledge": (
        "outsider",
        lambda p, inv, todo: {"client": p.company.public_id, **_approval(p)},
        ["post"],
    ),
    "approvals:send": (
        "outsider",
        lambda p, inv, todo: {"client": p.company.public_id, **_approval(p, status="approved")},
        ["post"],
    ),
    "approvals:ready": ("outsider", lambda p, inv, todo: {"client": p.company.public_id}, ["get", "post"]),
    "approvals:history": ("outsider", lambda p, inv, todo: {"client": p.company.public_id}, ["get"]),
    "approvals:batch": ("outsider", lambda p, inv, todo: {"client": p.company.public_id}, ["get", "post"]),
    # -- approvals, staff side --
    "approvals_staff:detail": ("outsider_staff", lambda p, inv, todo: _approval(p), ["get"]),
    "approvals_staff:withdraw": ("outsider_staff", lambda p, inv, todo: _approval(p), ["post"]),
    "approvals_staff:retry": ("outsider_staff", lambda p, inv, todo: _approval(p, status="failed"), ["post"]),
    "approvals_staff:reconcile": ("outsider_staff", lambda p, inv, todo: _approval(p, status="submitted"), ["post"]),
    "approvals_staff:record": ("outsider_staff", lambda p, inv, todo: _approval(p), ["get", "post"]),
    "approvals_staff:certificate": ("outsider_staff", lambda p, inv, todo: _approval(p), ["get"]),
    "approvals_staff:client_certificate": (
        "outsider",
        lambda p, inv, todo: {"client": p.company.public_id, **_approval(p)},
        ["get"],
    ),
    # -- signing, client side --
    "signing:batch": ("outsider", lambda p, inv, todo: {"client": p.company.public_id}, ["get", "post"]),
    "signing:detail": ("outsider", lambda p, inv, todo: {"client": p.company.public_id, **_sign_request(p)}, ["get"]),
    "signing:sign": (
        "outsider",
        lambda p, inv, todo: {"client": p.company.public_id, **_sign_request(p)},
        ["get", "post"],
    ),
    "signing:progress": (
        "outsider",
        lambda p, inv, todo: {"client": p.company.public_id, **_sign_request(p)},
        ["get"],
    ),
    "signing:decline": (
        "outsider",
        lambda p, inv, todo: {"client": p.company.public_id, **_sign_request(p)},
        ["post"],
    ),
    "signing:download": (
        "outsider",
        lambda p, inv, todo: {"client": p.company.public_id, **_sign_request(p)},
        ["get"],
    ),
    # -- signing, staff side --
    "signing_staff:sign": ("outsider_staff", lambda p, inv, todo: _sign_request(p), ["get", "post"]),
    "signing_staff:preview": ("outsider_staff", lambda p, inv, todo: _sign_request(p), ["get"]),
    "signing_staff:progress": ("outsider_staff", lambda p, inv, todo: _sign_request(p), ["get"]),
    "signing_staff:remind": ("outsider_staff", lambda p, inv, todo: _sign_request(p), ["post"]),
    "signing_staff:seal_retry": ("outsider_staff", lambda p, inv, todo: _sign_request(p), ["post"]),
    "signing_staff:signed_download": ("outsider_staff", lambda p, inv, todo: _sign_request(p), ["get"]),
    "signing_staff:place": ("outsider_staff", lambda p, inv, todo: {**_sign_request(p), "slot": 1}, ["get", "post"]),
    # -- signature verification and the firm's seal --
    "verify:firm_certificate": ("outsider", lambda p, inv, todo: {"firm": p.firm.public_id}, ["get"]),
    "verify:firm_certificate_cer": ("outsider", lambda p, inv, todo: {"firm": p.firm.public_id}, ["get"]),
    # -- messages, client side --
    "messaging:list": ("outsider", lambda p, inv, todo: {"client": p.company.public_id}, ["get"]),
    "messaging:history": ("outsider", lambda p, inv, todo: {"client": p.company.public_id}, ["get"]),
    "messaging:question": ("outsider", lambda p, inv, todo: {"client": p.company.public_id}, ["get", "post"]),
    "messaging:contact": ("outsider", lambda p, inv, todo: {"client": p.company.public_id}, ["get", "post"]),
    "messaging:dossier_new": (
        "outsider",
        lambda p, inv, todo: {"client": p.company.public_id, "dossier": _document(p).dossier.public_id},
        ["get", "post"],
    ),
    "messaging:thread": (
        "outsider",
        lambda p, inv, todo: {"client": p.company.public_id, **_thread(p)},
        ["get", "post"],
    ),
    "messaging:handle": ("outsider", lambda p, inv, todo: {"client": p.company.public_id, **_thread(p)}, ["post"]),
    # -- messages, staff side --
    "messaging_staff:thread": ("outsider_staff", lambda p, inv, todo: _thread(p), ["get"]),
    "messaging_staff:reply": ("outsider_staff", lambda p, inv, todo: _thread(p), ["post"]),
    "messaging_staff:note": ("outsider_staff", lambda p, inv, todo: _thread(p), ["post"]),
    "messaging_staff:assign": ("outsider_staff", lambda p, inv, todo: _thread(p), ["post"]),
    "messaging_staff:handle": ("outsider_staff", lambda p, inv, todo: _thread(p), ["post"]),
    "messaging_staff:new": ("outsider_staff", lambda p, inv, todo: {"client": p.company.public_id}, ["get", "post"]),
}
# Routes whose object is not tenant data: tokens proven by possession, operator/dev tools.
NOT_TENANT_SCOPED = {
    "accounts:invitation_accept",  # the token is the credential
    "account_reset_password_from_key",  # the token is the credential
    "firms:branding_css",  # a firm's public colour
    "firms:logo",  # a firm's public logo
    "twostep:factor_remove",  # the caller's own factor, named by its kind (totp, sms, pin)
    "twostep:email_change_confirm",  # a signed token for the signed-in person only (tested in twostep)
    "notifications:dev_outbox_message",  # development only, 404 in production
}


def _notification(p):
    """A notification of the client user (firm A), for the outsider to try."""
    from balie.notifications.models import EventKind
    from balie.notifications.services import notify

    return notify(users=[p.client_user], client=p.company, kind=EventKind.DOCUMENT, title="Geheim", link="/")[0]


def _outbox_message(p):
    """A failed e-mail of firm A, for firm B's staff to try to send again."""
    from balie.notifications.models import OutboxMessage

    return OutboxMessage.objects.create(
        firm=p.firm, recipient="klant@example.test", status="failed", message_id="<geheim@t>"
    ).public_id


def _user_session(p):
    """A live session of the client user (firm A), for the outsider to try to end."""
    from django.test import Client as HttpClient

    from balie.accounts.models import UserSession

    browser = HttpClient()
    browser.force_login(p.client_user)
    return UserSession.objects.get(session_key=browser.session.session_key)


def _email_change(p):
    """A pending change of the client user's sign-in address (firm A), for the outsider to cancel."""
    from balie.accounts.models import EmailChangeRequest
    from balie.accounts.services import email_change_request

    pending = EmailChangeRequest.objects.filter(user=p.client_user, cancelled_at__isnull=True).first()
    return (pending or email_change_request(user=p.client_user, email="pieter@nieuw.test")).public_id


def _change_request(p):
    """The pending change request of firm A's company (one at most: made once, then found)."""
    from balie.clients.models import ChangeRequest

    pending = ChangeRequest.objects.filter(client=p.company, status=ChangeRequest.Status.PENDING).first()
    return pending or ChangeRequest.objects.create(
        client=p.company, requested_by=p.client_user, old_values={"city": ""}, new_values={"city": "Geheim"}
    )


def _tile(p):
    """An application tile of firm A's company."""
    from balie.clients.services import app_tile_create

    return app_tile_create(client=p.company, name="Exact Online", url="https://start.exactonline.nl")


def _staff_with_photo(p):
    """Firm A's staff member, with a photo set."""
    import io

    from django.core.files.base import ContentFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "#336699").save(buffer, "JPEG")
    p.staff.photo.save("pasfoto.jpg", ContentFile(buffer.getvalue()))
    return p.staff


def _challenge(p):
    """An open confirmation of the client user, for the outsider to send codes for."""
    from balie.twostep.stepup import stepup_begin

    return stepup_begin(user=p.client_user, action="password_change", object_key=str(p.client_user.public_id))


def _passkey(p):
    """A passkey of the client user, for the outsider to try to remove."""
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.create(
        user=p.client_user, type=Authenticator.Type.WEBAUTHN, data={"name": "Laptop", "credential": {}}
    )


def _document(p):
    """A PDF the firm shared in a dossier of the company (firm A)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from balie.dossiers.services import document_add, dossier_create

    dossier = dossier_create(client=p.company, description="Doorlopend dossier")
    upload = SimpleUploadedFile("jaarrekening.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    return document_add(dossier=dossier, upload=upload, direction="firm", actor=p.staff.user)


def _person(p, environment, person=None):
    """A member of one of firm A's environments, as the back office names them."""
    return {"client": environment.public_id, "person": (person or p.client_user).public_id}


def _firm_dossier(p, step=False):
    """A dossier of firm A's company (with a checklist step), as the back office names it."""
    from balie.dossiers.services import checklist_add, dossier_create

    dossier = dossier_create(client=p.company, description="Jaarrekening 2025")
    kwargs = {"client": p.company.public_id, "dossier": dossier.public_id}
    if step:
        kwargs["step"] = checklist_add(dossier=dossier, title="Stukken ontvangen").pk
    return kwargs


def _firm_document(p, version=False):
    """A published document in a dossier of firm A's company, as the back office names it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from balie.dossiers.models import Dossier
    from balie.dossiers.services import document_add

    kwargs = _firm_dossier(p)
    document = document_add(
        dossier=Dossier.objects.get(public_id=kwargs["dossier"]),
        upload=SimpleUploadedFile("aangifte.pdf", b"%PDF-1.4\n%geheim\n", content_type="application/pdf"),
        direction="firm",
        actor=p.staff.user,
    )
    kwargs["document"] = document.public_id
    if version:
        kwargs["version"] = document.current_version.public_id
    return kwargs


def _bulk(p):
    """A draft bulk publication of firm A (one file to the company), as the back office names it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from balie.dossiers.bulk import bulk_prepare

    p.company.number = "1001"
    p.company.save(update_fields=["number"])
    publication = bulk_prepare(
        staff=p.staff,
        mode="same",
        uploads=[SimpleUploadedFile("brief.pdf", b"%PDF-1.4\n%geheim\n", content_type="application/pdf")],
        fields={"direction": "firm"},
        scope="numbers",
        numbers="1001",
    )
    return {"publication": publication.public_id}


def _approval(p, status="open"):
    """A request on a VAT return of firm A's company, as the back office names it."""
    from balie.approvals.models import Request

    document = _document(p)
    approval = Request.objects.create(
        client=p.company,
        document=document,
        version=document.current_version,
        audience="directors",
        status=status,
        created_by=p.staff.user,
    )
    return {"approval": approval.public_id}


def _named_routes_with_arguments(resolver=None, prefix="", arguments=False):
    """Named routes with an argument in their own path or in the prefix they are mounted under."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            if entry.namespace == "admin":
                continue  # the operator's admin: superusers only
            yield from _named_routes_with_arguments(entry, ns, arguments or bool(entry.pattern.regex.groups))
        elif isinstance(entry, URLPattern) and entry.name and (arguments or entry.pattern.regex.groups):
            yield prefix + entry.name


def test_every_route_with_an_object_is_covered():
    routes = set(_named_routes_with_arguments())
    assert routes - set(CASES) - NOT_TENANT_SCOPED == set()


def a_task(personas):
    """A task in the company: supplying documents into a folder of its dossier."""
    from balie.dossiers.services import dossier_create

    folder = dossier_create(client=personas.company, description="Dossier").folders.first()
    return todo_create(client=personas.company, kind="upload", title="Aanleveren", target=folder, audience="members")


def test_other_tenant_gets_404_everywhere(client, personas):
    invitation = invitation_create(client=personas.company, actor=personas.staff.user, email="x@example.test")
    todo = a_task(personas)
    for name, (who, kwargs, methods) in CASES.items():
        actor = getattr(personas, who)
        client.force_login(getattr(actor, "user", actor))
        url = reverse(name, kwargs=kwargs(personas, invitation, todo))
        for method in methods:
            response = getattr(client, method)(url)
            assert response.status_code == 404, f"{method.upper()} {name} answered {response.status_code}"


def test_client_of_same_firm_cannot_use_the_back_office(client, personas):
    invitation = invitation_create(client=personas.company, actor=personas.staff.user, email="x@example.test")
    todo = a_task(personas)
    client.force_login(personas.client_user)  # a member of the company, not staff
    for name, (who, kwargs, methods) in CASES.items():
        if who != "outsider_staff":
            continue
        for method in methods:
            assert getattr(client, method)(reverse(name, kwargs=kwargs(personas, invitation, todo))).status_code == 404


PERSON_ROUTES = {"twostep_staff:pin_letter": ["post"], "twostep_staff:factors_reset": ["get", "post"]}


def test_staff_cannot_reach_a_person_through_an_environment_they_are_not_in(client, personas):
    """Firm A's own environment with a person of another environment, or of firm B: 404."""
    from balie.twostep.models import FactorReset, PinLetter

    client.force_login(personas.staff.user)
    wrong = [
        _person(personas, personas.private, personas.employee),  # employee is in the company only
        _person(personas, personas.company, personas.outsider),  # firm B's client
        _person(personas, personas.outsider_client, personas.outsider),  # firm B's environment and client
        _person(personas, personas.company, personas.staff.user),  # staff, not a member
    ]
    for kwargs in wrong:
        for name, methods in PERSON_ROUTES.items():
            for method in methods:
                response = getattr(client, method)(reverse(name, kwargs=kwargs), {"note": "Teruggebeld"})
                assert response.status_code == 404, f"{method.upper()} {name} {kwargs} answered {response.status_code}"
    assert not PinLetter.objects.exists()
    assert not FactorReset.objects.exists()


def _sign_request(p, *, signer=None):
    """An open sign request on annual accounts of firm A's company, signed by the client user (the
    company's director), as the back office names it ({"approval": …})."""
    from balie.signing.services import sign_request_create
    from balie.signing.tests.support import annual_accounts

    document = annual_accounts(p.company, actor=p.staff.user)
    approval = sign_request_create(document=document, actor=p.staff.user, signers=[signer or p.client_user])
    return {"approval": approval.public_id}


def _thread(p):
    """A question of firm A's company (asked by its director), as both sides name it."""
    from balie.messaging.services import thread_start

    thread = thread_start(client=p.company, user=p.client_user, kind="question", subject="Geheim", body="<p>Vraag</p>")
    return {"thread": thread.public_id}


# -- allauth's URLs ---------------------------------------------------------------------------------
# Every URL allauth could mount under /accounts/, for an anonymous visitor and for people signed in
# with and without two-step verification: the page, a redirect to Balie's own page, or 404 — never
# a 500 because allauth reverses a route Balie does not mount (finding 2.5).

ANONYMOUS, PASSWORD_ONLY, WITH_TOTP, WITH_PASSKEY = "anonymous", "password only", "with TOTP", "with a passkey"
LOGIN = "/accounts/login/"
# name: (kwargs, {method: (anonymous, signed in)}); a number is the status, a path a redirect there.
# Signing in with a second factor must not change what anyone gets.
ALLAUTH_ROUTES = {
    "account_login": ({}, {"get": (200, "/"), "post": (200, "/")}),
    "account_logout": ({}, {"get": (LOGIN, 200), "post": (LOGIN, LOGIN)}),
    "account_inactive": ({}, {"get": (200, 200), "post": (405, 405)}),
    "account_change_password": (
        {},
        {"get": ("/mijn-gegevens/wachtwoord/",) * 2, "post": ("/mijn-gegevens/wachtwoord/",) * 2},
    ),
    "mfa_login_webauthn": ({}, {"get": (LOGIN, "/"), "post": (LOGIN, "/")}),
    "account_reset_password": ({}, {"get": (200, 200), "post": (200, 200)}),
    "account_reset_password_done": ({}, {"get": (200, 200), "post": (405, 405)}),
    "account_reset_password_from_key": (
        {"uidb36": "1z", "key": "no-such-token"},
        {"get": (200, 200), "post": (200, 200)},
    ),
    "account_reset_password_from_key_done": ({}, {"get": (200, 200), "post": (405, 405)}),
    # Django's admin signs in through Balie's sign-in (secure_admin_login in balie/urls.py).
    "admin:login": (
        {},
        {"get": (LOGIN + "?next=%2Fadmin%2Flogin%2F", 403), "post": (LOGIN + "?next=%2Fadmin%2Flogin%2F", 403)},
    ),
}
# Sample values for allauth's path arguments, to call routes that are not mounted.
SAMPLE_ARGUMENTS = {"key": "abc", "uidb36": "1z", "pk": "1"}


def _allauth_paths():
    """Every route in allauth's own URL configuration, as {name: path under /accounts/}."""
    import re

    import allauth.urls

    def walk(entries, prefix=""):
        for entry in entries:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            else:
                yield entry.name, prefix + str(entry.pattern)

    paths = {}
    for name, route in walk(allauth.urls.urlpatterns):
        route = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: SAMPLE_ARGUMENTS[m.group(1)], route)
        route = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: SAMPLE_ARGUMENTS[m.group(1)], route)
        paths[name] = "/accounts/" + route.strip("^$")
    return paths


def _allauth_visitors(personas):
    """An anonymous visitor and three people signed in: password only, with TOTP, with a passkey."""
    from allauth.mfa.models import Authenticator

    from balie.twostep.tests.utils import enrol_totp

    enrol_totp(personas.employee)
    Authenticator.objects.create(
        user=personas.outsider, type=Authenticator.Type.WEBAUTHN, data={"name": "Laptop", "credential": {}}
    )
    return {
        ANONYMOUS: None,
        PASSWORD_ONLY: personas.client_user,
        WITH_TOTP: personas.employee,
        WITH_PASSKEY: personas.outsider,
    }


def _answer(response):
    """The status, the redirect's target for a 302, and for a page whether it is in Balie's layout."""
    if response.status_code == 302:
        return response["Location"]
    if response.status_code == 200 and "base.html" not in {template.name for template in response.templates}:
        return "200 outside Balie's layout"
    return response.status_code


def test_every_allauth_route_balie_mounts_has_an_expected_answer():
    from django.urls import Resolver404, resolve

    from balie.accounts import allauth_urls

    mounted = set()
    for name, path in _allauth_paths().items():
        try:
            if resolve(path).url_name == name:
                mounted.add(name)
        except Resolver404:
            pass
    assert mounted == set(ALLAUTH_ROUTES) - {"admin:login"}
    assert {entry.name for entry in allauth_urls.urlpatterns} == mounted  # nothing mounted under another name


def test_allauth_routes_answer_as_expected_for_everyone(personas):
    from django.test import Client as HttpClient

    visitors = _allauth_visitors(personas)
    wrong = []
    for name, (kwargs, expected) in ALLAUTH_ROUTES.items():
        url = reverse(name, kwargs=kwargs)
        for method, (anonymous, signed_in) in expected.items():
            for who, user in visitors.items():
                browser = HttpClient(raise_request_exception=False)  # a fresh session: logout ends it
                if user is not None:
                    browser.force_login(user)
                answer = _answer(getattr(browser, method)(url))
                want = anonymous if user is None else signed_in
                if answer != want:
                    wrong.append(f"{method.upper()} {url} {who}: {answer}, expected {want}")
    assert wrong == [], "\n".join(wrong)


def test_allauth_routes_balie_does_not_mount_are_404_for_everyone(personas):
    """Among them the reauthentication pages: Balie confirms with its own step-up (twostep)."""
    from django.test import Client as HttpClient

    visitors = _allauth_visitors(personas)
    absent = {name: path for name, path in _allauth_paths().items() if name not in ALLAUTH_ROUTES}
    assert "account_reauthenticate" in absent and "mfa_reauthenticate" in absent
    wrong = []
    for name, path in absent.items():
        for method in ("get", "post"):
            for who, user in visitors.items():
                browser = HttpClient(raise_request_exception=False)
                if user is not None:
                    browser.force_login(user)
                answer = _answer(getattr(browser, method)(path))
                if answer != 404:
                    wrong.append(f"{method.upper()} {path} ({name}) {who}: {answer}")
    assert wrong == [], "\n".join(wrong)
