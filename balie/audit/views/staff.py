"""The firm's log (firm administrators): every event of the firm, filtered and paged by keyset, and
its export with the chain's hashes (CSV or JSON Lines, streamed)."""

from __future__ import annotations

from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from balie.audit import actions, exports, hooks, selectors
from balie.audit.forms import LogFilterForm
from balie.audit.services import record
from balie.firms.access import firm_admin_required

EXPORT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}


def _rows(page: selectors.EventPage, form: LogFilterForm, firm_id: int) -> list[dict]:
    titles = hooks.object_titles(firm_id=firm_id, events=page.events)
    return [
        {
            "event": event,
            "label": actions.label(event.action),
            "environment": form.environment_names.get(str(event.environment_id or ""), ""),
            "title": titles.get((event.object_type, event.object_id), ""),
        }
        for event in page.events
    ]


@firm_admin_required
@require_GET
def log(request):
    """Logboek: who did what in the firm's portal, newest first, 50 at a time."""
    firm = request.staff.firm
    form = LogFilterForm(request.GET or None, firm=firm)
    log_filter = form.log_filter()
    events = selectors.firm_log(firm_id=firm.pk, log_filter=log_filter)
    if form.is_bound and not form.is_valid():
        events = events.none()  # the form says what is wrong; no events that look filtered but are not
    page = selectors.keyset_page(events, after=request.GET.get("na"))
    query = request.GET.copy()
    query.pop("na", None)
    context = {
        "form": form,
        "rows": _rows(page, form, firm.pk),
        "next_cursor": page.next_cursor,
        "query": query.urlencode(),
        "is_selection": log_filter.is_selection,
        "first_page": "na" not in request.GET,
    }
    return render(request, "audit/staff/log.html", context)


@firm_admin_required
@require_GET
def export(request, kind):
    """The filtered log with its hashes, in the chain's order; the export itself is recorded."""
    firm = request.staff.firm
    form = LogFilterForm(request.GET or None, firm=firm)
    if form.is_bound and not form.is_valid():
        # Never the whole log instead of a selection: the page says what is wrong.
        return HttpResponseBadRequest(_("These filters are not valid: correct them on the log's page."))
    log_filter = form.log_filter()
    events = selectors.firm_log(firm_id=firm.pk, log_filter=log_filter)
    filters = (
        {name: str(form.cleaned_data.get(name) or "") for name in form.fields}
        if form.is_bound and form.is_valid()
        else {}
    )
    record("export.created", firm=firm, actor=request.user, details={"format": kind, **filters})
    rows = exports.rows_of(events, firm=firm)
    lines = exports.jsonl(rows) if kind == "jsonl" else exports.csv_lines(rows)
    response = StreamingHttpResponse(lines, content_type=EXPORT_TYPES[kind])
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="logboek-{firm.slug}-{stamp}.{kind}"'
    return response
