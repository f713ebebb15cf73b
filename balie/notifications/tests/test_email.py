import pytest
from django.db import transaction
from django.urls import reverse

from balie.accounts.factories import UserFactory
from balie.firms.factories import FirmFactory
from balie.notifications.email import send_templated_email
from balie.notifications.models import DevOutboxMessage

pytestmark = [pytest.mark.django_db, pytest.mark.real_on_commit]


def _send(firm, language="en"):
    send_templated_email(
        to="a@example.test",
        template="account_activated",
        language=language,
        firm=firm,
        context={"user": None, "link": "http://x.test/"},
    )


def test_mail_leaves_only_after_the_change_commits(django_capture_on_commit_callbacks):
    firm = FirmFactory(name="Van Dijk", email_sender_name="Van Dijk & Partners")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _send(firm)
        assert not DevOutboxMessage.objects.exists()
    assert len(callbacks) == 1
    message = DevOutboxMessage.objects.get()
    assert message.sender.startswith('"Van Dijk & Partners"') or message.sender.startswith("Van Dijk & Partners")
    assert "Your account has been activated" in message.subject
    assert "http://x.test/" in message.body_html


def test_rolled_back_change_sends_nothing(django_capture_on_commit_callbacks):
    firm = FirmFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                _send(firm)
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass
    assert callbacks == []
    assert not DevOutboxMessage.objects.exists()


def test_mail_is_in_the_recipients_language(django_capture_on_commit_callbacks):
    firm = FirmFactory()
    with django_capture_on_commit_callbacks(execute=True):
        _send(firm, language="nl")
    assert "geactiveerd" in DevOutboxMessage.objects.get().subject.lower()


def test_plain_text_parts_are_not_html_escaped(django_capture_on_commit_callbacks):
    firm = FirmFactory(name="Van Dijk & Partners", email_sender_name="Van Dijk & Partners")
    with django_capture_on_commit_callbacks(execute=True):
        send_templated_email(
            to="c@example.test",
            template="already_active",
            language="nl",
            firm=firm,
            context={
                "user": UserFactory.build(first_name="Jan <Piet>"),
                "login": "http://x.test/?a=1&b=2",
                "reset": "r",
            },
        )
    message = DevOutboxMessage.objects.get()
    assert "Jan <Piet>" in message.body_text
    assert "?a=1&b=2" in message.body_text
    assert "&amp;" not in message.body_text + message.subject
    assert "Jan &lt;Piet&gt;" in message.body_html  # the HTML part stays escaped


def test_emails_carry_the_firms_logo_and_colour(django_capture_on_commit_callbacks, settings, tmp_path):
    import io

    from django.core.files.base import ContentFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (10, 10), "#123456").save(buffer, "PNG")
    firm = FirmFactory(primary_colour="#123456")
    firm.logo.save("logo.png", ContentFile(buffer.getvalue()))
    with django_capture_on_commit_callbacks(execute=True):
        _send(firm)
    html = DevOutboxMessage.objects.get().body_html
    # The logo's own public view: no route serves uploaded files by their storage path.
    assert f'src="{settings.BALIE_SITE_URL}{reverse("firms:logo", args=[firm.public_id])}"' in html
    assert "background:#123456" in html
