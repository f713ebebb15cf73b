from django.db import migrations


def contacts_for_members(apps, schema_editor):
    """Every member becomes a contact person of the environment, linked to their access.

    Not with their mobile number: it may be their SMS second factor, and every member sees contacts.
    """
    Membership = apps.get_model("clients", "Membership")
    ContactPerson = apps.get_model("clients", "ContactPerson")
    for membership in Membership.objects.select_related("user").filter(contact__isnull=True).iterator():
        user = membership.user
        ContactPerson.objects.create(
            client_id=membership.client_id,
            salutation="neutral",
            first_name=user.first_name or user.email.split("@")[0],
            last_name=user.last_name or "-",
            email=user.email,
            membership=membership,
        )


class Migration(migrations.Migration):
    dependencies = [("clients", "0003_client_change_policy_client_legal_form_and_more")]

    operations = [migrations.RunPython(contacts_for_members, migrations.RunPython.noop)]
