from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "balie.clients"
    label = "clients"

    def ready(self) -> None:
        from balie.accounts.hooks import register_environments
        from balie.audit.hooks import (
            register_environments_of_firm,
            register_firms_of_user,
            register_managed_environments,
            register_object_titles,
        )
        from balie.clients import contact_email, selectors, services
        from balie.twostep.hooks import register_members

        register_environments(
            visible_to=selectors.client_list_for_user,
            memberships_of=selectors.membership_list_for_user,
            firm_of_member=selectors.firm_of_member,
            grant=services.membership_from_invitation,
            change_refusal=contact_email.delegated_change_refusal,
            emails_follow_login=services.contact_emails_follow_login,
        )
        # A sign-in is also recorded in the audit trail of each firm the person is a client of.
        register_firms_of_user(selectors.firm_ids_of_member)
        # The download alert spares the environments a staff member manages.
        register_managed_environments(selectors.environment_ids_managed_by)
        # The names of environments in the audit trail's pages.
        register_environments_of_firm(selectors.environments_of_firm)
        register_object_titles("clients.client", selectors.environment_titles)
        register_members(
            client_firm_ids=selectors.firm_ids_of_member,
            client_for_staff=selectors.get_client_for_staff,
            member_for_staff=selectors.get_member_for_staff,
        )
