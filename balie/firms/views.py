from django.http import Http404, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from balie.firms.models import Firm


@require_GET
@cache_control(max_age=300, public=True)
def branding_css(request, firm):
    """The firm's colours as CSS variables: a stylesheet, so the CSP needs no inline styles."""
    colour = Firm.objects.filter(public_id=firm).values_list("primary_colour", flat=True).first()
    if colour is None:
        raise Http404
    css = f":root {{ --brand: {colour}; }}\n"
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    return response
