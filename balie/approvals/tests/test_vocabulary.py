"""A notary's clients read no accountant's words (Accorderingen, aangifte, Digipoort) in menus,
approval pages, tasks or e-mail; an accountancy firm's clients do. The approval page shows the
document before the decision and keeps the technical details behind a toggle."""

import re

import pytest
import time_machine
from django.urls import reverse

from balie.approvals import services
from balie.approvals.tests.client_support import document
from balie.core.testing import later
from balie.notifications.jobs import send_bundles
from balie.notifications.models import OutboxMessage

pytestmark = [pytest.mark.django_db, pytest.mark.real_on_commit]

ACCOUNTANCY_WORDS = re.compile(r"accordering|digipoort|aangifte", re.IGNORECASE)


def notary_request(p):
    """Notariskantoor Hoekstra (no tax returns) asks its client to approve a deed."""
    p.other_firm.uses_tax_filing = False
    p.other_firm.save(update_fields=["uses_tax_filing"])
    doc = document(
        p.outsider_client, actor=p.outsider_staff.user, title="Concept leveringsakte", doc_type="other", period=""
    )
    return services.request_create(document=doc, actor=p.outsider_staff.user, audience="named", named=[p.outsider])


def accountancy_request(p):
    doc = document(p.company, actor=p.staff.user, title="Btw Q3 2026")
    return services.request_create(document=doc, actor=p.staff.user, audience="directors", after="digipoort")


def client_pages(client, approval) -> dict[str, str]:
    environment = approval.client.public_id
    urls = {
        "home": reverse("home:client", args=[environment]),
        "approval": reverse("approvals:detail", args=[environment, approval.public_id]),
        "history": reverse("approvals:history", args=[environment]),
        "tasks": reverse("todos:list"),
    }
    pages = {}
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, name
        pages[name] = response.content.decode()
    return pages


def visible_text(html: str) -> str:
    """What a person reads: the text and the labels, not the addresses in links (the paths stay Dutch)."""
    labels = " ".join(re.findall(r'(?:aria-label|title|alt|placeholder)="([^"]*)"', html))
    return re.sub(r"<[^>]+>", " ", html) + " " + labels


def notification_email(user) -> OutboxMessage:
    with time_machine.travel(later(minutes=11)):
        send_bundles()
    return OutboxMessage.objects.get(recipient=user.email)


def test_a_notarys_client_reads_no_accountancy_words(client, personas):
    approval = notary_request(personas)
    client.force_login(personas.outsider)
    pages = client_pages(client, approval)
    for name, page in pages.items():
        assert not ACCOUNTANCY_WORDS.findall(visible_text(page)), name
    assert '<a href="' + reverse("approvals:history", args=[approval.client.public_id]) in pages["home"]
    assert re.search(r'id="menu-approvals"[^>]*>Acties</a>', pages["home"])
    assert 'id="tab-ready"' not in pages["history"]
    mail = notification_email(personas.outsider)
    assert mail.subject == "Graag uw akkoord: Concept leveringsakte"
    for text in (mail.subject, mail.body_text, mail.body_html):
        assert not ACCOUNTANCY_WORDS.findall(visible_text(re.sub(r"https?://\S+", "", text)))


def test_an_accountancy_client_reads_the_accountants_words(client, personas):
    approval = accountancy_request(personas)
    client.force_login(personas.client_user)
    pages = client_pages(client, approval)
    assert re.search(r'id="menu-approvals"[^>]*>Accorderingen</a>', pages["home"])
    assert "Na uw akkoord dient het kantoor de aangifte in." in pages["approval"]
    assert "Btw-aangifte" in pages["history"]  # the type filter offers the tax returns
    assert 'id="tab-ready"' in pages["history"]
    assert "Btw Q3 2026" in pages["tasks"]


def test_the_approval_page_shows_the_document_before_the_decision_and_details_behind_a_toggle(client, personas):
    approval = accountancy_request(personas)
    client.force_login(personas.client_user)
    page = client_pages(client, approval)["approval"]
    assert page.index('id="open-document"') < page.index('id="approve"')
    details = page[page.index('<details class="progress panel" id="request-details">') :]
    details = details[: details.index("</details>")]
    version = approval.version
    assert version.sha256 in details  # the whole fingerprint, only inside the toggle
    outside = page.replace(details, "")
    assert "SHA-256" not in outside and version.sha256[:12] not in outside
    assert "Na akkoord" not in page and "Niets" not in page


def test_after_approval_nothing_is_not_mentioned(client, personas):
    doc = document(personas.company, actor=personas.staff.user, title="Notulen AVA", doc_type="other")
    approval = services.request_create(document=doc, actor=personas.staff.user, audience="directors")
    client.force_login(personas.client_user)
    page = client.get(reverse("approvals:detail", args=[approval.client.public_id, approval.public_id]))
    assert 'id="after-approval"' not in page.content.decode()


def test_the_firms_administrator_turns_the_accountants_words_off_on_the_flow_settings(client, personas):
    from balie.approvals.tests.test_staff import flows_data

    client.force_login(personas.staff.user)
    page = client.get(reverse("approvals_staff:flows")).content.decode()
    assert 'name="firm-uses_tax_filing"' in page and "checked" in page[page.index('id="vocabulary"') :][:400]
    response = client.post(reverse("approvals_staff:flows"), {**flows_data(), "firm-shown": "1"})
    assert response.status_code == 302
    personas.firm.refresh_from_db()
    assert personas.firm.uses_tax_filing is False
    client.post(reverse("approvals_staff:flows"), flows_data())  # a post without the setting leaves it
    personas.firm.refresh_from_db()
    assert personas.firm.uses_tax_filing is False
    client.post(reverse("approvals_staff:flows"), {**flows_data(), "firm-shown": "1", "firm-uses_tax_filing": "on"})
    personas.firm.refresh_from_db()
    assert personas.firm.uses_tax_filing is True


def test_only_the_firms_administrators_change_the_words(personas):
    from django.core.exceptions import ValidationError

    from balie.firms.factories import StaffMemberFactory
    from balie.firms.services import firm_tax_filing_update

    employee = StaffMemberFactory(firm=personas.firm, role="employee")
    for actor in (employee.user, personas.outsider_staff.user, personas.client_user):
        with pytest.raises(ValidationError):
            firm_tax_filing_update(firm=personas.firm, actor=actor, uses_tax_filing=False)
    personas.firm.refresh_from_db()
    assert personas.firm.uses_tax_filing is True


def test_a_notarys_sign_request_page_keeps_the_fingerprint_behind_the_toggle(client, personas):
    from balie.signing.services import sign_request_create
    from balie.signing.tests.support import annual_accounts

    personas.other_firm.uses_tax_filing = False
    personas.other_firm.save(update_fields=["uses_tax_filing"])
    deed = annual_accounts(personas.outsider_client, actor=personas.outsider_staff.user, title="Akte van levering")
    approval = sign_request_create(document=deed, actor=personas.outsider_staff.user, signers=[personas.outsider])
    client.force_login(personas.outsider)
    page = client.get(reverse("signing:detail", args=[approval.client.public_id, approval.public_id])).content.decode()
    details = page[page.index('id="request-details"') :]
    details = details[: details.index("</details>")]
    assert approval.version.sha256 in details
    assert "SHA-256" not in page.replace(details, "")
    assert not ACCOUNTANCY_WORDS.findall(visible_text(page))
    assert re.search(r'id="menu-approvals"[^>]*>Acties</a>', page)


def test_publication_documents_filed_after_approval_are_not_called_a_tax_return(client, personas):
    doc = document(personas.company, actor=personas.staff.user, title="Deponering 2025", doc_type="publication")
    approval = services.request_create(document=doc, actor=personas.staff.user, audience="directors", after="digipoort")
    client.force_login(personas.client_user)
    page = client.get(reverse("approvals:detail", args=[approval.client.public_id, approval.public_id]))
    assert "Na uw akkoord dient het kantoor het document in." in page.content.decode()
