"""Texts of allauth and Django that clients read, kept in Balie's catalogue.

Balie's catalogue comes before the libraries' own (LOCALE_PATHS), so the Dutch given here for the
same English text replaces theirs: allauth's addresses the reader informally (the manuals say "u"),
and Django's has no Dutch yet for its newest wording of the short-password error. The pages and
e-mails of allauth that Balie mounts are overridden in templates/account/; these are the texts the
libraries' forms and adapters write themselves. Listed here so that makemessages keeps them.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

TEXTS = (
    gettext_noop("The email address and/or password you specified are not correct."),
    gettext_noop("Please type your current password."),
    gettext_noop("You must type the same password each time."),
    gettext_noop("Be patient, you are sending too many requests."),
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        "min_length",
    ),
)
