from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from balie.clients.access import client_required
from balie.todos.models import Todo
from balie.todos.selectors import get_todo_for_member, todo_list_for_user, user_may_handle
from balie.todos.services import todo_close, todo_url


@login_required
@require_GET
def todo_list(request):
    """Taken: one list of open tasks across all the user's environments (TASK-1)."""
    page = Paginator(todo_list_for_user(user=request.user), 25).get_page(request.GET.get("page"))
    return render(request, "todos/list.html", {"page": page})


@client_required
@require_GET
def todo_open(request, todo):
    """Opens the page where the task is done (its target's ``todo_url``); an old link to a handled
    task says so, and a task that can no longer be done there closes."""
    todo = get_todo_for_member(membership=request.membership, todo_public_id=todo)
    if todo.status == Todo.Status.OPEN and not user_may_handle(user=request.user, todo=todo):
        raise Http404  # someone else's task in this environment
    if todo.status == Todo.Status.OPEN:
        url = todo_url(todo)
        if url is None:
            todo_close(todo=todo)
        else:
            return redirect(url)
    return render(request, "todos/not_open.html", {"todo": todo})
