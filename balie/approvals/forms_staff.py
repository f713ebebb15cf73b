"""Forms of the firm's side of approvals: what a published document asks, the firm's flows, and a
decision the client gave outside the portal. They validate; the services write."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from balie.approvals import selectors
from balie.approvals.flows import FlowSpec, after_unavailable, after_unavailable_note, flow_for
from balie.approvals.models import After, Audience, Decision, Flow, Kind, Required
from balie.approvals.states import Status
from balie.clients.models import Membership
from balie.dossiers.models import Document, DocumentType

REQUEST_KINDS = (Kind.APPROVE.value, Kind.REVIEW.value)  # the kinds that become a Request
FIRM_AUDIENCES = [(value, label) for value, label in Audience.choices if value != Audience.NAMED]


def person_label(user) -> str:
    name = user.get_full_name()
    return f"{name} ({user.email})" if name else user.email


class RequestSettingsForm(forms.Form):
    """What a published document asks of the environment (APR-1, BEY-2).

    Prefilled from the firm's flow for the document type (``initial_for``). ``members`` are the
    people of the environment who can be named, ``open_requests`` the requests a new one may wait
    for; a bulk publication (many environments) has neither.
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
    due_date = forms.DateField(
        label=_("Due date"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    after = forms.ChoiceField(label=_("After approval"), choices=After.choices, initial=After.NOTHING, required=False)
    waits_for = forms.ChoiceField(
        label=_("Waits for"),
        required=False,
        help_text=_("The request stays on hold (“waiting for …”) until this request of the environment is done."),
    )

    def __init__(self, *args, members=None, open_requests=None, bulk: bool = False, firm=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.bulk = bulk
        self.firm = firm  # whose software and Digipoort filing the step after approval needs
        if bulk:
            # Many environments at once: nobody can be named and nothing of one environment waited for.
            self.fields["audience"].choices = FIRM_AUDIENCES
            del self.fields["named"]
            del self.fields["waits_for"]
            self._members, self._open = {}, {}
            return
        self._members = {str(user.public_id): user for user in members or ()}
        self.fields["named"].choices = [(key, person_label(user)) for key, user in self._members.items()]
        self._open = {str(request.public_id): request for request in open_requests or ()}
        self.fields["waits_for"].choices = [("", _("— nothing, it starts at once —"))] + [
            (key, _request_label(request)) for key, request in self._open.items()
        ]
        if not self._open:
            self.fields["waits_for"].widget = forms.HiddenInput()

    @staticmethod
    def initial_for(*, firm, doc_type: str) -> dict:
        """The settings the firm's flow for ``doc_type`` gives (APR-1), as initial values."""
        return initial_from_spec(flow_for(firm=firm, doc_type=doc_type))

    def clean(self):
        data = super().clean()
        kind = data.get("request_kind")
        if kind not in REQUEST_KINDS:
            return data
        if not self.bulk and data.get("audience") == Audience.NAMED and not data.get("named"):
            self.add_error("named", _("Choose at least one person who must act."))
        after = data.get("after") or After.NOTHING
        if after != After.NOTHING and kind != Kind.APPROVE:
            self.add_error("after", _("Only an approval can be followed by a filing or a notice to your software."))
        elif after != After.NOTHING and (problem := after_unavailable(firm=self.firm, after=after)):
            self.add_error("after", problem)
        due = data.get("due_date")
        if due is not None and due < timezone.localdate():
            self.add_error("due_date", _("The due date cannot be in the past."))
        return data

    def request_settings(self) -> dict | None:
        """The settings for ``request_create_for_published`` (the kind is the document's request
        kind), or None when the chosen kind does not become a request (sign, information, none). A
        setting the post left out (an older form, a script) is left out here too, so the flow of the
        type decides it; an empty due date is no due date. A bulk publication has no named people
        and waits for nothing."""
        data = self.cleaned_data
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


def initial_from_spec(spec: FlowSpec) -> dict:
    initial = {"request_kind": spec.mode, "audience": spec.audience, "required": spec.required, "after": spec.after}
    if spec.due_days:
        initial["due_date"] = timezone.localdate() + timedelta(days=spec.due_days)
    return initial


def _request_label(request) -> str:
    document = request.document
    parts = [document.title]
    if document.year or document.period:
        parts.append(" ".join(str(part) for part in (document.year or "", document.period) if part))
    return f"{' · '.join(parts)} ({request.get_kind_display().lower()}, {request.get_status_display().lower()})"


def request_settings_form(*, staff, client=None, data=None, doc_type: str = "", bulk: bool = False):
    """The request settings of the publish forms, prefilled from the firm's flow for ``doc_type``.

    ``client`` (single publish) gives the people who can be named and the open requests a new one
    may wait for.
    """
    members, open_requests = (), ()
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
    doc_type = doc_type if doc_type in DocumentType.values else DocumentType.OTHER
    initial = RequestSettingsForm.initial_for(firm=staff.firm, doc_type=doc_type)
    note = ""
    if initial["after"] != After.NOTHING and after_unavailable(firm=staff.firm, after=initial["after"]):
        # The flow's step cannot happen here (no Digipoort, no software connected): nothing instead.
        note = after_unavailable_note(initial["after"])
        initial["after"] = After.NOTHING
    form = RequestSettingsForm(
        data, initial=initial, members=members, open_requests=open_requests, bulk=bulk, firm=staff.firm
    )
    if note:
        form.fields["after"].help_text = note
    return form


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
