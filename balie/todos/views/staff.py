from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from balie.clients.selectors import get_client_for_staff
from balie.core.actions import service_refusal
from balie.firms.access import staff_required
from balie.todos.selectors import get_open_todo_for_staff, todo_list_for_staff
from balie.todos.services import todo_remind


@staff_required
@require_GET
def todo_list(request):
    """Open and overdue tasks over all the firm's clients, or of one environment (TASK-2)."""
    overdue = request.GET.get("overdue") == "1"
    client = None
    if request.GET.get("omgeving"):
        client = get_client_for_staff(staff=request.staff, client_public_id=request.GET["omgeving"])
    todos = todo_list_for_staff(staff=request.staff, overdue_only=overdue, client=client)
    page = Paginator(todos, 25).get_page(request.GET.get("page"))
    return render(request, "todos/staff/list.html", {"page": page, "overdue": overdue, "client": client})


@staff_required
@require_POST
def todo_send_reminder(request, todo):
    todo = get_open_todo_for_staff(staff=request.staff, todo_public_id=todo)
    with service_refusal(request, first_only=True) as outcome:
        count = todo_remind(todo=todo, urgent=True, actor=request.user)  # a nudge goes out now
    if outcome.ok:
        messages.success(request, _("A reminder has been sent to %(count)d people.") % {"count": count})
    return redirect("todos:staff_list")
