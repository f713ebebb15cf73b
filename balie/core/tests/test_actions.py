import pytest
from django import forms
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import ValidationError

from balie.core.actions import service_refusal


class NameForm(forms.Form):
    name = forms.CharField()


def _request(rf):
    request = rf.post("/")
    request._messages = CookieStorage(request)
    return request


def _shown(request):
    return [(message.level, message.message) for message in request._messages]


def _refuse(*texts):
    raise ValidationError(list(texts))


def test_a_refusal_becomes_one_error_message_and_the_outcome_says_so(rf):
    request = _request(rf)
    with service_refusal(request, success="Done.") as outcome:
        _refuse("Not now.", "Try later.")
    assert not outcome.ok
    assert outcome.text == "Not now. Try later."
    assert _shown(request) == [(messages.ERROR, "Not now. Try later.")]


def test_only_the_first_message_and_a_closing_sentence_can_be_shown(rf):
    request = _request(rf)
    with service_refusal(request, first_only=True, closing="Nothing has changed."):
        _refuse("Not now.", "Try later.")
    assert _shown(request) == [(messages.ERROR, "Not now. Nothing has changed.")]


def test_a_call_that_goes_through_shows_the_success_message(rf):
    request = _request(rf)
    with service_refusal(request, success="Done.") as outcome:
        pass
    assert outcome.ok and outcome.text is None
    assert _shown(request) == [(messages.SUCCESS, "Done.")]


def test_a_refusal_lands_on_the_forms_field_or_above_the_fields():
    form = NameForm({"name": "x"})
    assert form.is_valid()
    with service_refusal(form=form, field="name"):
        raise ValidationError("Taken.")
    with service_refusal(form=form, as_text=True, closing="Nothing has been stored."):
        _refuse("One.", "Two.")
    assert form.errors["name"] == ["Taken."]
    assert form.non_field_errors() == ["One.", "Two.", "Nothing has been stored."]


def test_other_errors_are_not_caught():
    with pytest.raises(ValueError), service_refusal():
        raise ValueError("bug")
