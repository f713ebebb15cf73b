"""Publication hooks: what the apps above dossiers do when the firm publishes, replaces or
withdraws a document, and what they add to the publish forms.

A document can be published with a request (approve, review, sign: ``Document.request_kind``).
The requests live in ``approvals`` (and signing in ``signing``), which sit above dossiers, so
dossiers does not import them: they register their part here from their ``AppConfig.ready``::

    publication.register_publication_hooks(published=..., withdrawn=...)

The hooks, by name (keyword-only arguments unless said otherwise):

- ``published(*, document, actor, settings)``: ask what the published document's request kind asks
  (``settings``: the publish form's request settings, or None for the flow of the document type).
  Called inside the publication's transaction: raising rolls the whole publication back.
- ``replaced(*, document, actor)``: a new version of ``document`` was stored (in its transaction).
- ``withdrawn(*, document, actor)``: the firm withdrew ``document`` (in its transaction).
- ``check_signable(file)``: the number of pages of a PDF that can be signed, else ValidationError.
- ``sign_settings_for(*, client, settings, publisher)``: a bulk publication's sign settings for one
  environment.
- ``after_unavailable(*, firm, after)``: why the step after approval cannot happen now ("" if it can).
- ``request_settings_form(*, staff, client=None, data=None, doc_type="", bulk=False)``: the form with
  the request settings that the publish forms show beside their own (``request_settings()`` gives
  the settings, ``cleaned_data["request_kind"]`` the kind).
- ``request_facts(settings)``: (label, value) of a publication's stored approval settings, for its page.
- ``document_requests(*, staff, client, document)``: the document's requests, for its page on the
  firm side.

Registering a name again replaces its hook. A hook that nobody registered raises ImproperlyConfigured
when it is needed.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured

HOOK_NAMES = frozenset(
    {
        "published",
        "replaced",
        "withdrawn",
        "check_signable",
        "sign_settings_for",
        "after_unavailable",
        "request_settings_form",
        "request_facts",
        "document_requests",
    }
)

_HOOKS: dict[str, Callable] = {}


def register_publication_hooks(**hooks: Callable) -> None:
    """Registers (or replaces) the named hooks; see the module's docstring for each name."""
    unknown = set(hooks) - HOOK_NAMES
    if unknown:
        raise TypeError(f"Unknown publication hooks: {', '.join(sorted(unknown))}")
    _HOOKS.update(hooks)


def hook(name: str) -> Callable:
    """The registered hook ``name``."""
    if name not in HOOK_NAMES:
        raise KeyError(name)
    try:
        return _HOOKS[name]
    except KeyError:
        raise ImproperlyConfigured(f"No app registered the publication hook {name!r}.") from None
