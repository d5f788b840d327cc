import uuid

from django import forms


class SubmissionTokenMixin(forms.Form):
    """A hidden token, new each time the form is shown, that makes a submit idempotent.

    Pass ``form.cleaned_data["submission_token"]`` to ``history.idempotency.run_once``.
    """

    submission_token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
