"""Services record their event with the change, old → new, and the histories write to the trail too."""

import pytest
from django.core.exceptions import ValidationError

from balie.audit.models import ActorKind, AuditEvent

pytestmark = pytest.mark.django_db


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def test_a_change_of_the_firms_policy_is_recorded_with_old_and_new(personas):
    from balie.clients.models import ChangePolicy
    from balie.clients.organisation import firm_change_policy_update

    old = personas.firm.change_policy
    new = next(value for value in ChangePolicy.values if value != old)
    firm_change_policy_update(firm=personas.firm, actor=personas.staff.user, change_policy=new)
    [event] = events("settings.changed")
    assert (event.firm, event.actor_kind, event.actor_user_id) == (
        personas.firm,
        ActorKind.STAFF,
        personas.staff.user.pk,
    )
    assert event.details == {"change_policy": [old, new]}


def test_the_firms_own_settings_below_the_trail_are_recorded_too(personas):
    from balie.firms.services import firm_tax_filing_update

    before = personas.firm.uses_tax_filing
    firm_tax_filing_update(firm=personas.firm, actor=personas.staff.user, uses_tax_filing=not before)
    [event] = events("settings.changed")
    assert event.details == {"uses_tax_filing": [before, not before]}


def test_an_environments_history_is_also_an_audit_event(personas):
    from balie.clients.models import ChangeLogEntry
    from balie.clients.services import client_update

    client_update(
        client=personas.company,
        actor=personas.staff.user,
        relationship_managers=[personas.staff],
        name="Bakker & Zn B.V.",
        postal_code="1234 AB",
    )
    entry = ChangeLogEntry.objects.get(client=personas.company)
    [event] = events("organisation.changed")
    assert event.environment_id == personas.company.public_id
    assert event.details == {"via": "firm", "changes": entry.changes}
    assert ["name", "Bakker B.V.", "Bakker & Zn B.V."] in event.details["changes"]


def test_app_tiles_added_and_removed_are_recorded(personas):
    from balie.clients.services import app_tile_create, app_tile_delete

    tile = app_tile_create(
        client=personas.company, name="Boekhouding", url="https://example.test", actor=personas.staff.user
    )
    app_tile_delete(tile=tile, actor=personas.staff.user)
    assert [event.action for event in AuditEvent.objects.order_by("seq")] == ["app_tile.created", "app_tile.deleted"]
    assert events("app_tile.deleted")[0].details == {"name": "Boekhouding", "url": "https://example.test"}


def test_a_dossier_and_its_checklist_are_recorded(personas):
    from balie.dossiers.services import checklist_add, checklist_toggle, dossier_create, dossier_update

    staff = personas.staff.user
    dossier = dossier_create(client=personas.company, description="Jaarwerk 2026", created_by=staff)
    item = checklist_add(dossier=dossier, title="Bankafschriften", actor=staff)
    checklist_toggle(item=item, done=True, actor=staff)
    checklist_toggle(item=item, done=False, actor=staff)
    dossier_update(
        dossier=dossier,
        description="Jaarwerk 2026",
        number="D-1",
        kind=dossier.kind,
        status=dossier.status,
        actor=staff,
    )
    actions = [event.action for event in AuditEvent.objects.order_by("seq")]
    assert actions == [
        "dossier.created",
        "checklist.item_added",
        "checklist.item_done",
        "checklist.item_reopened",
        "dossier.changed",
    ]
    assert events("dossier.changed")[0].details == {"number": ["", "D-1"]}


def test_a_wrong_password_at_a_step_up_is_a_failed_second_step(personas):
    from balie.twostep.services import verify_password

    with pytest.raises(ValidationError):
        verify_password(user=personas.client_user, password="not it")
    [event] = events("auth.twostep_failed")
    assert event.firm == personas.firm
    assert event.details == {"factor": "password", "locked": False}


def test_a_reset_of_the_factors_keeps_its_row_and_is_recorded(personas):
    from balie.twostep.enrolment import factors_reset
    from balie.twostep.models import FactorReset

    factors_reset(user=personas.client_user, firm=personas.firm, reset_by=personas.staff.user, note="Paspoort gezien")
    assert FactorReset.objects.filter(user=personas.client_user).exists()
    [event] = events("twostep.factors_reset")
    assert (event.actor_kind, event.object_id) == (ActorKind.STAFF, str(personas.client_user.public_id))


def test_notification_settings_are_recorded_in_each_firm_of_the_person(personas):
    from balie.notifications.models import EventKind, Frequency
    from balie.notifications.services import preferences_save

    preferences_save(user=personas.client_user, choices={EventKind.MESSAGE: Frequency.DAILY})
    [event] = events("preferences.changed")
    assert event.firm == personas.firm
    assert event.details == {EventKind.MESSAGE: [Frequency.IMMEDIATE, Frequency.DAILY]}


def test_ending_one_session_is_recorded(personas):
    from balie.accounts.models import UserSession
    from balie.accounts.services import user_session_end

    session = UserSession.objects.create(user=personas.client_user, session_key="k" * 32, user_agent="Firefox")
    user_session_end(user_session=session)
    [event] = events("auth.session_ended")
    assert event.details == {"device": "Firefox"}


def test_a_disabled_account_is_recorded_with_who_did_it(personas):
    from balie.accounts.services import user_deactivate

    user_deactivate(user=personas.employee, actor=personas.staff.user)
    [event] = events("account.deactivated")
    assert (event.actor_user_id, event.object_id) == (personas.staff.user.pk, str(personas.employee.public_id))


def test_ones_own_details_are_recorded_old_and_new(personas):
    from balie.accounts.forms import ProfileForm
    from balie.accounts.services import profile_update

    user = personas.client_user
    data = {"first_name": "Piet", "last_name": user.last_name or "Bakker", "language": user.language}
    form = ProfileForm(data, instance=user)
    assert form.is_valid(), form.errors
    profile_update(form=form)
    [event] = AuditEvent.objects.filter(action="profile.changed")
    assert event.details["first_name"] == ["Pieter", "Piet"]
