from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from balie.clients.forms import SearchForm
from balie.clients.selectors import client_list_for_user


@login_required
@require_GET
def switcher(request):
    """Organisatie kiezen: every environment of the user, searchable (ORG-1)."""
    form = SearchForm(request.GET)
    clients = client_list_for_user(user=request.user)
    if form.is_valid() and form.cleaned_data["q"]:
        clients = clients.filter(name__icontains=form.cleaned_data["q"])
    page = Paginator(clients, 25).get_page(request.GET.get("page"))
    template = "clients/partials/_switcher_list.html" if request.htmx else "clients/switcher.html"
    return render(request, template, {"form": form, "page": page})
