"""Calling a service from a view: a refusal (``ValidationError``) becomes what the page shows.

Services refuse with a ``ValidationError`` whose message is meant for the person (CONTRIBUTING.md,
"Service"). A view runs the call inside ``service_refusal`` and then asks the outcome whether it
went through::

    with service_refusal(request, first_only=True, success=_("The request has been withdrawn.")):
        services.request_withdraw(approval=approval, actor=request.user)
    return redirect(...)

    with service_refusal(form=form, field="name") as outcome:
        folder = services.folder_create(dossier=dossier, name=form.cleaned_data["name"], actor=request.user)
    if outcome.ok:
        return redirect(...)
    return render(...)  # the form now carries the refusal

Only ``ValidationError`` is caught; anything else goes up as before. A view that reacts to the
refusal's code in its own way can read ``outcome.error`` afterwards, or keep its own ``except``.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError


@dataclass
class Outcome:
    """How a call inside ``service_refusal`` ended: ``error`` is the refusal, or None when it went through."""

    error: ValidationError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def text(self) -> str | None:
        """The refusal's messages as one sentence; None when it went through."""
        return " ".join(self.error.messages) if self.error is not None else None


@contextmanager
def service_refusal(
    request=None,
    *,
    form=None,
    field: str | None = None,
    first_only: bool = False,
    as_text: bool = False,
    closing=None,
    success=None,
) -> Iterator[Outcome]:
    """Runs the block; a ``ValidationError`` raised in it is shown instead of raised.

    - With ``form``: the refusal is added to the form, on ``field`` (None: above the fields), with
      ``form.add_error(field, error)``; ``as_text=True`` adds its messages as plain texts instead
      (so a refusal naming fields still lands on ``field``).
    - Else with ``request``: one error message, the refusal's messages joined by spaces (only the
      first with ``first_only=True``).
    - With neither, the refusal is only recorded: ``outcome.text`` is for the view to show.

    ``closing`` is a sentence added after the refusal's messages ("Nothing has been published.");
    ``success`` is the message for ``request`` when the block went through.
    """
    outcome = Outcome()
    try:
        yield outcome
    except ValidationError as error:
        outcome.error = error
        problems = error.messages[:1] if first_only else error.messages
        if form is not None:
            if as_text:
                form.add_error(field, [*problems, *([closing] if closing else [])])
            else:
                form.add_error(field, error)
                if closing:
                    form.add_error(field, closing)
        elif request is not None:
            messages.error(request, " ".join([*problems, *([closing] if closing else [])]))
    else:
        if success is not None:
            messages.success(request, success)
