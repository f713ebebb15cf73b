"""Forms of the firm's side of approvals: what a published document asks (an approval, a review or
signatures), the firm's flows, and a decision the client gave outside the portal. They validate;
the services write."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from balie.approvals import kernel, selectors
from balie.approvals.flows import FlowSpec, after_unavailable, after_unavailable_note, flow_for
from balie.approvals.models import After, Audience, Decision, Flow, Kind, Required
from balie.approvals.states import Status
from balie.clients.models import Membership
from balie.dossiers.models import Document, DocumentType
from balie.firms.models import StaffMember

REQUEST_KINDS = (Kind.APPROVE.value, Kind.REVIEW.value)  # the kinds that become a Request
SIGN = Kind.SIGN.value  # a sign request (balie.signing): signers in turn
FIRM_AUDIENCES = [(value, label) for value, label in Audience.choices if value != Audience.NAMED]
IN_ORDER, PARALLEL = "order", "parallel"  # how the signers sign


def person_label(user) -> str:
    name = user.get_full_name()
    return f"{name} ({user.email})" if name else user.email


class RequestSettingsForm(forms.Form):
    """What a published document asks of the environment (APR-1, APR-6, BEY-2): an approval or a
    review, or signatures.

    Prefilled from the firm's flow for the document type (``initial_for``). ``members`` are the
    people of the environment who can be named, ``open_requests`` the requests a new one may wait
    for, ``staff_members`` the firm's people who can sign first for the firm; a bulk publication
    (many environments) has none of them: there the publisher is the one who signs for the firm.
    The form shows the fields of the chosen kind; choosing another kind fetches them (htmx).
    """

    request_kind = forms.ChoiceField(
        label=_("Request"),
        required=False,
        choices=[("", _("No request"))] + list(Document.RequestKind.choices),
        help_text=_("Approve, sign and review add a task for the client; “for your information” does not."),
    )
    audience = forms.ChoiceField(
        label=_("Who must act"), choices=Audience.choices, initial=Audience.HANDLERS, required=False
    )
    named = forms.MultipleChoiceField(label=_("Named people"), required=False, widget=forms.CheckboxSelectMultiple)
    required = forms.ChoiceField(
        label=_("Approvals needed"), choices=Required.choices, initial=Required.ONE, required=False
    )
    after = forms.ChoiceField(label=_("After approval"), choices=After.choices, initial=After.NOTHING, required=False)
    in_order = forms.ChoiceField(
        label=_("Order of signing"),
        choices=[(IN_ORDER, _("One after the other, in this order")), (PARALLEL, _("At the same time"))],
        initial=IN_ORDER,
        required=False,
        widget=forms.RadioSelect,
    )
    firm_first = forms.BooleanField(
        label=_("The firm signs first"),
        required=False,
        help_text=_(
            "For example the accountant's signature on the annual accounts: the client is asked once it is in."
        ),
    )
    firm_signer = forms.ChoiceField(label=_("Signs for the firm"), required=False)
    sign_page = forms.IntegerField(
        label=_("Signature page"),
        required=False,
        min_value=1,
        max_value=9999,
        help_text=_(
            "Empty: the last page. The signatures come side by side at the bottom of the page; you can move "
            "each one on the request's page until someone has signed."
        ),
    )
    due_date = forms.DateField(
        label=_("Due date"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    waits_for = forms.ChoiceField(
        label=_("Waits for"),
        required=False,
        help_text=_("The request stays on hold (“waiting for …”) until this request of the environment is done."),
    )

    def __init__(
        self,
        *args,
        members=None,
        open_requests=None,
        staff_members=None,
        bulk: bool = False,
        firm=None,
        client=None,
        settings_url: str = "",
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.bulk = bulk
        self.firm = firm  # whose software and Digipoort filing the step after approval needs
        self.client = client  # whose signers a signature page applies to
        self._signers: list = []
        self.signer_names: list[str] = []
        if settings_url:  # another kind of request shows other fields: fetched with the type's flow
            self.fields["request_kind"].widget.attrs.update(
                {
                    "hx-get": settings_url,
                    "hx-trigger": "change",
                    "hx-target": "#request-settings",
                    "hx-swap": "outerHTML",
                    "hx-include": "[name='doc_type']",
                }
            )
        if bulk:
            # Many environments at once: nobody can be named and nothing of one environment waited for.
            self.fields["audience"].choices = FIRM_AUDIENCES
            del self.fields["named"]
            del self.fields["waits_for"]
            del self.fields["firm_signer"]
            self.fields["firm_first"].help_text = _(
                "You sign first, for the firm, in every environment; the client is asked once your signature is in."
            )
            self._members, self._open, self._staff = {}, {}, {}
            return
        self._members = {str(user.public_id): user for user in members or ()}
        people = [(key, person_label(user)) for key, user in self._members.items()]
        self.fields["named"].choices = people
        self._open = {str(request.public_id): request for request in open_requests or ()}
        self.fields["waits_for"].choices = [("", _("— nothing, it starts at once —"))] + [
            (key, _request_label(request)) for key, request in self._open.items()
        ]
        if not self._open:
            self.fields["waits_for"].widget = forms.HiddenInput()
        self._staff = {str(user.public_id): user for user in staff_members or ()}
        self.fields["firm_signer"].choices = [(key, person_label(user)) for key, user in self._staff.items()]
        # Named signers in their order: one choice per turn ("Signer 1", "Signer 2", …).
        for number in range(1, min(kernel.participants_limit(SIGN), len(people)) + 1):
            name = f"signer_{number}"
            self.fields[name] = forms.ChoiceField(
                label=gettext("Signer %(number)s") % {"number": number},
                required=False,
                choices=[("", "—")] + people,
            )
            self.signer_names.append(name)

    @staticmethod
    def initial_for(*, firm, doc_type: str, request_kind: str | None = None) -> dict:
        """The settings the firm's flow for ``doc_type`` gives (APR-1), as initial values; with
        ``request_kind`` another kind than the flow's, the plain defaults of that kind (as
        ``request_create_for_published`` and ``sign_request_create_for_published`` apply them)."""
        spec = flow_for(firm=firm, doc_type=doc_type)
        if request_kind is not None and request_kind != spec.mode:
            if request_kind == SIGN:
                spec = FlowSpec(mode=SIGN, audience=Audience.DIRECTORS)
            elif request_kind in Document.RequestKind.values:
                spec = FlowSpec(mode=request_kind, audience=Audience.HANDLERS)
            else:  # no request
                spec = FlowSpec(mode=Flow.Mode.INFO, audience=Audience.HANDLERS)
                return {**initial_from_spec(spec), "request_kind": ""}
        return initial_from_spec(spec)

    # -- what the page shows: the fields of the chosen kind -----------------------------------------

    @property
    def is_sign(self) -> bool:
        return self["request_kind"].value() == SIGN

    def _visible(self, names) -> list:
        return [self[name] for name in names if name in self.fields and not self.fields[name].widget.is_hidden]

    def first_fields(self) -> list:
        return self._visible(["request_kind", "audience"])

    def approval_fields(self) -> list:
        return self._visible(["named", "required", "after"])

    def signer_fields(self) -> list:
        return self._visible(self.signer_names)

    def sign_fields(self) -> list:
        return self._visible(["in_order", "firm_first", "firm_signer", "sign_page"])

    def last_fields(self) -> list:
        return self._visible(["due_date", "waits_for"])

    # -- checking ----------------------------------------------------------------------------------

    def clean(self):
        data = super().clean()
        kind = data.get("request_kind")
        if kind == SIGN:
            self._clean_sign(data)
        elif kind in REQUEST_KINDS:
            if not self.bulk and data.get("audience") == Audience.NAMED and not data.get("named"):
                self.add_error("named", _("Choose at least one person who must act."))
            after = data.get("after") or After.NOTHING
            if after != After.NOTHING and kind != Kind.APPROVE:
                self.add_error("after", _("Only an approval can be followed by a filing or a notice to your software."))
            elif after != After.NOTHING and (problem := after_unavailable(firm=self.firm, after=after)):
                self.add_error("after", problem)
        else:
            return data
        due = data.get("due_date")
        if due is not None and due < timezone.localdate():
            self.add_error("due_date", _("The due date cannot be in the past."))
        return data

    def _clean_sign(self, data) -> None:
        """Named signers in the order of their choices, each once; who signs for the firm."""
        firm_signs = bool(data.get("firm_first"))
        if firm_signs and not self.bulk and not data.get("firm_signer"):
            self.add_error("firm_signer", _("Choose who signs for the firm."))
        if self.bulk or data.get("audience") != Audience.NAMED:
            return
        seen: set[str] = set()
        for name in self.signer_names:
            key = data.get(name)
            if not key:
                continue
            if key in seen:
                self.add_error(name, _("Each person signs once: choose everyone only once."))
                continue
            seen.add(key)
            self._signers.append(self._members[key])
        if not seen:
            self.add_error(
                self.signer_names[0] if self.signer_names else None, _("Choose at least one person who must sign.")
            )
        elif len(self._signers) + firm_signs > kernel.participants_limit(SIGN):
            limit = kernel.participants_limit(SIGN)
            self.add_error(None, _("At most %(count)s people can sign one document.") % {"count": limit})

    # -- the settings for the services -------------------------------------------------------------

    def request_settings(self) -> dict | None:
        """The settings for ``request_create_for_published`` (the kind is the document's request
        kind), or None when the chosen kind does not become a request (information, none). A
        setting the post left out (an older form, a script) is left out here too, so the flow of the
        type decides it; an empty due date is no due date. A bulk publication has no named people
        and waits for nothing; see ``_sign_settings`` for signing."""
        data = self.cleaned_data
        if data.get("request_kind") == SIGN:
            return self._sign_settings()
        if data.get("request_kind") not in REQUEST_KINDS:
            return None
        settings = {
            name: data[name]
            for name in ("audience", "required", "after", "due_date")
            if name in self.data and (name == "due_date" or data[name])
        }
        if "after" in settings and data["request_kind"] != Kind.APPROVE:
            settings["after"] = After.NOTHING
        if settings.get("audience") == Audience.NAMED:
            settings["named"] = [self._members[key] for key in data.get("named") or ()]
        waits_for = self._open.get(data.get("waits_for") or "")
        if waits_for is not None:
            settings["waits_for"] = waits_for
        return settings

    def _sign_settings(self) -> dict:
        """For ``sign_request_create_for_published``: audience, named (in order), in_order,
        firm_signer, due_date, waits_for, and places for a chosen signature page. A bulk
        publication's settings are stored and applied per environment (``signing.selectors.
        sign_settings_for``): firm_first (the publisher signs first) and page instead."""
        data = self.cleaned_data
        settings: dict = {"audience": data.get("audience") or self.initial.get("audience") or Audience.DIRECTORS}
        if "in_order" in self.data and data.get("in_order"):
            settings["in_order"] = data["in_order"] != PARALLEL
        if "due_date" in self.data:
            settings["due_date"] = data["due_date"]
        page = data.get("sign_page")
        if self.bulk:
            if data.get("firm_first"):
                settings["firm_first"] = True
            if page:
                settings["page"] = page
            return settings
        if settings["audience"] == Audience.NAMED:
            settings["named"] = list(self._signers)
        if data.get("firm_first"):
            settings["firm_signer"] = self._staff[data["firm_signer"]]
        waits_for = self._open.get(data.get("waits_for") or "")
        if waits_for is not None:
            settings["waits_for"] = waits_for
        if page and self.client is not None:
            settings["places"] = kernel.places_on_page(SIGN, client=self.client, settings=settings, page=page)
        return settings


def initial_from_spec(spec: FlowSpec) -> dict:
    initial = {
        "request_kind": spec.mode,
        "audience": spec.audience,
        "required": spec.required,
        "after": spec.after,
        "in_order": IN_ORDER,
    }
    if spec.due_days:
        initial["due_date"] = timezone.localdate() + timedelta(days=spec.due_days)
    return initial


def _request_label(request) -> str:
    document = request.document
    parts = [document.title]
    if document.year or document.period:
        parts.append(" ".join(str(part) for part in (document.year or "", document.period) if part))
    return f"{' · '.join(parts)} ({request.get_kind_display().lower()}, {request.get_status_display().lower()})"


def settings_url(*, client=None, bulk: bool = False) -> str:
    """Where the publish forms fetch the request settings of a type or a kind (htmx)."""
    query = {"bulk": "1"} if bulk else {"client": client.public_id} if client is not None else {}
    url = reverse("approvals_staff:flow_defaults")
    return f"{url}?{urlencode(query)}" if query else url


def request_settings_form(
    *,
    staff,
    client=None,
    data=None,
    doc_type: str = "",
    bulk: bool = False,
    request_kind: str | None = None,
):
    """The request settings of the publish forms, prefilled from the firm's flow for ``doc_type``
    (or the defaults of ``request_kind``, when the person chose another kind).

    ``client`` (single publish) gives the people who can be named, the open requests a new one
    may wait for, and the firm's people who can sign first (the publisher proposed).
    """
    members, open_requests, staff_members = (), (), ()
    if client is not None and not bulk:
        members = [
            membership.user
            for membership in Membership.objects.active()
            .filter(client=client, user__is_active=True)
            .select_related("user")
            .order_by("user__first_name", "user__last_name", "user__email")
        ]
        open_requests = list(
            selectors.request_list_for_staff(staff=staff, client=client).filter(
                status__in=(Status.WAITING, Status.OPEN)
            )[:100]
        )
        staff_members = [
            member.user
            for member in StaffMember.objects.filter(firm=staff.firm, user__is_active=True)
            .select_related("user")
            .order_by("user__first_name", "user__last_name", "user__email")
        ]
    doc_type = doc_type if doc_type in DocumentType.values else DocumentType.OTHER
    initial = RequestSettingsForm.initial_for(firm=staff.firm, doc_type=doc_type, request_kind=request_kind)
    initial["firm_signer"] = str(staff.user.public_id)  # the publisher, when the firm signs first
    note = ""
    if initial["after"] != After.NOTHING and after_unavailable(firm=staff.firm, after=initial["after"]):
        # The flow's step cannot happen here (no Digipoort, no software connected): nothing instead.
        note = after_unavailable_note(initial["after"])
        initial["after"] = After.NOTHING
    form = RequestSettingsForm(
        data,
        initial=initial,
        members=members,
        open_requests=open_requests,
        staff_members=staff_members,
        bulk=bulk,
        firm=staff.firm,
        client=client,
        settings_url=settings_url(client=client, bulk=bulk),
    )
    if note:
        form.fields["after"].help_text = note
    return form


class VocabularyForm(forms.Form):
    """Whether the firm's clients read the accountant's words (``Firm.uses_tax_filing``)."""

    uses_tax_filing = forms.BooleanField(
        label=_("Our clients file tax returns through us: show them the accountant's words"),
        help_text=_("Accorderingen, aangifte, Digipoort. Off (a notary's office): the menu says Acties."),
        required=False,
    )


class FlowForm(forms.Form):
    """The firm's default flow for one document type (prefix: the type)."""

    mode = forms.ChoiceField(label=_("Request"), choices=Flow.Mode.choices)
    audience = forms.ChoiceField(label=_("Who must act"), choices=FIRM_AUDIENCES)
    required = forms.ChoiceField(label=_("Approvals needed"), choices=Required.choices)
    after = forms.ChoiceField(label=_("After approval"), choices=After.choices)
    due_days = forms.IntegerField(label=_("Days to act"), required=False, min_value=1, max_value=365)

    def __init__(self, *args, firm=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.firm = firm

    def clean(self):
        data = super().clean()
        after = data.get("after", After.NOTHING)
        if after != After.NOTHING and data.get("mode") != Flow.Mode.APPROVE:
            self.add_error("after", _("Only an approval can be followed by a filing or a notice to your software."))
        # A row left as it was may keep a step that cannot happen now (Balie's default, say, before
        # the software is connected): publishing proposes "nothing" instead. A changed one may not.
        elif after != After.NOTHING and self.has_changed():
            problem = after_unavailable(firm=self.firm, after=after)
            if problem:
                self.add_error("after", problem)
        return data

    def unavailable_note(self) -> str:
        """The note for a row whose (unchanged) step after approval cannot happen now."""
        after = self.initial.get("after", After.NOTHING)
        if after == After.NOTHING or not after_unavailable(firm=self.firm, after=after):
            return ""
        return after_unavailable_note(after)

    def spec(self) -> FlowSpec:
        data = self.cleaned_data
        return FlowSpec(
            mode=data["mode"],
            audience=data["audience"],
            required=data["required"],
            after=data["after"],
            due_days=data.get("due_days"),
        )

    @staticmethod
    def initial_from(spec: FlowSpec) -> dict:
        return {
            "mode": spec.mode,
            "audience": spec.audience if spec.audience != Audience.NAMED else Audience.HANDLERS,
            "required": spec.required,
            "after": spec.after,
            "due_days": spec.due_days,
        }


class OutsideDecisionForm(forms.Form):
    """A decision the client gave outside the portal (on paper, by phone), entered by staff."""

    person = forms.ChoiceField(label=_("Who gave the decision"))
    outcome = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect)
    comment = forms.CharField(
        label=_("Comment or reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when the client did not approve: the reason they gave."),
    )
    note = forms.CharField(
        label=_("How was the decision given?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: signed on paper on 3 March, or by phone with the director, checked by call-back."),
        error_messages={"required": _("Say how the decision was given: it is part of the evidence.")},
    )

    def __init__(self, *args, people, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self._people = {str(user.public_id): user for user in people}
        self.fields["person"].choices = [("", "—")] + [(key, person_label(user)) for key, user in self._people.items()]
        if kind == Kind.REVIEW:
            outcomes = [Decision.Outcome.ACKNOWLEDGED]
        else:
            outcomes = [Decision.Outcome.APPROVED, Decision.Outcome.REJECTED]
        self.fields["outcome"].choices = [(outcome.value, outcome.label) for outcome in outcomes]
        if len(outcomes) == 1:
            self.fields["outcome"].initial = outcomes[0].value

    def clean(self):
        data = super().clean()
        if data.get("outcome") == Decision.Outcome.REJECTED and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Give the reason the client gave for not approving."))
        return data

    @property
    def chosen_person(self):
        return self._people[self.cleaned_data["person"]]


class ReconcileForm(forms.Form):
    """The firm checked with the receiver whether a filing with an unknown outcome arrived."""

    received = forms.TypedChoiceField(
        label=_("Did the receiver get it?"),
        choices=[("yes", _("Yes, the receiver has it")), ("no", _("No, it did not arrive"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("How did you check?"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReceiverForm(forms.Form):
    """The firm software's webhook (APR-8): the address, and whether to make a new signing secret."""

    webhook_url = forms.URLField(
        label=_("Webhook address"),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=_("Where Balie posts approved requests, e.g. https://software.example.nl/balie. Empty: off."),
    )
    new_secret = forms.BooleanField(
        label=_("Make a new signing secret"),
        required=False,
        help_text=_("The old secret stops working at once; give the new one to your software."),
    )
