from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from balie.clients.access import client_required
from balie.clients.selectors import app_tile_list, client_list_for_user, relationship_managers_for_client
from balie.dossiers.selectors import document_list, dossier_counts, dossier_list
from balie.firms.access import staff_member_for
from balie.firms.images import image_response
from balie.messaging.selectors import staff_author_for_member
from balie.todos.selectors import todo_list_for_user

TODO_PANEL_SIZE = 5
DOSSIER_PANEL_SIZE = 5
RECENT_DOCUMENTS = 5


@login_required
@require_GET
def index(request):
    """``/`` opens the preferred environment, else the last one used, else the first (ORG-1)."""
    user = request.user
    clients = client_list_for_user(user=user)
    for client_id in (user.preferred_client_id, user.last_client_id):
        if client_id is not None:
            client = clients.filter(pk=client_id).first()
            if client is not None:
                return redirect("home:client", client=client.public_id)
    client = clients.first()
    if client is not None:
        return redirect("home:client", client=client.public_id)
    if staff_member_for(user) is not None:
        return redirect("clients:staff_list")
    return render(request, "home/no_environment.html")


@client_required
@require_GET
def client_home(request):
    """The start page of one environment (HOME-1) with the panels that exist so far."""
    environments = list(client_list_for_user(user=request.user))
    request.environments = environments  # the switcher reuses it
    managers = list(relationship_managers_for_client(client=request.client))
    todos = list(todo_list_for_user(user=request.user)[:TODO_PANEL_SIZE])
    if len(todos) < TODO_PANEL_SIZE:
        request.open_todo_count = len(todos)  # the menu count needs no query of its own
    context = {
        "environments": environments,
        "managers": managers,
        "todos": todos,
        "dossiers": list(dossier_list(client=request.client, status="in_progress")[:DOSSIER_PANEL_SIZE]),
        "dossier_counts": dossier_counts(client=request.client),
        "tiles": list(app_tile_list(client=request.client)),
        "recent_documents": list(document_list(client=request.client, user=request.user)[:RECENT_DOCUMENTS]),
    }
    return render(request, "home/client_home.html", context)


@client_required
@require_GET
def manager_photo(request, user):
    """The photo of one of the environment's contact persons (the start page shows it), or of a staff
    member of its firm who wrote in one of its threads the person may read (shown beside their
    name); 404 for anyone else's photo, so it is no way to look up staff members of other firms."""
    manager = relationship_managers_for_client(client=request.client).filter(user__public_id=user).first()
    if manager is None:
        manager = staff_author_for_member(user=request.user, client=request.client, author_public_id=user)
    if manager is None:
        raise Http404
    return image_response(manager.photo)
