import datetime
import uuid

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from licensing.models import Product

from .models import Event


class SubmissionTokenMixin(forms.Form):
    """A hidden token, new each time the form is shown, that makes a submit idempotent.

    Pass ``form.cleaned_data["submission_token"]`` to ``history.idempotency.run_once``.
    """

    submission_token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user) -> str:
        return user.email


INVALID_DATE = _("Enter a valid date as YYYY-MM-DD, for example 2026-12-04.")

# Dates outside these bounds cannot be turned into instants in every zone,
# and no event is that old or that new.
EARLIEST_DATE = datetime.date(2000, 1, 1)
LATEST_DATE = datetime.date(2999, 12, 31)
DATE_RANGE = [
    MinValueValidator(EARLIEST_DATE, message=_("Pick a date on or after 1 Jan 2000.")),
    MaxValueValidator(LATEST_DATE, message=_("Pick a date on or before 31 Dec 2999.")),
]


class HistoryFilterForm(forms.Form):
    """The filters of the History page and its CSV export, read from the query string.

    Dates are whole days in the organization's time zone, both ends included.
    """

    action = forms.ChoiceField(
        label=_("Action"), required=False,
        choices=[("", _("All actions")), *Event.Action.choices],
    )
    product = forms.ModelChoiceField(
        label=_("Product"), required=False, queryset=Product.objects.none(),
        empty_label=_("All products"), to_field_name="code",
    )
    member = MemberChoiceField(
        label=_("Member"), required=False, queryset=get_user_model().objects.none(),
        empty_label=_("All members"),
    )
    from_date = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": INVALID_DATE}, validators=DATE_RANGE,
    )
    to_date = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": INVALID_DATE}, validators=DATE_RANGE,
    )

    error_messages = {
        "from_after_to": _(
            "The “From” date %(from_date)s is after the “To” date %(to_date)s. "
            "Pick a “From” date on or before the “To” date."
        ),
    }

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        # Only products that occur in this organization's History can narrow it.
        self.fields["product"].queryset = Product.objects.filter(
            pk__in=Event.objects.filter(organization=organization, product__isnull=False)
            .values("product")
        ).order_by("name", "pk")
        # Former members stay in the list as long as History names them.
        self.fields["member"].queryset = (
            get_user_model().objects.filter(
                Q(memberships__organization=organization)
                | Q(pk__in=Event.objects.filter(organization=organization).values("actor"))
            )
            .distinct()
            .order_by("email", "pk")
        )

    def clean(self):
        cleaned_data = super().clean()
        from_date = cleaned_data.get("from_date")
        to_date = cleaned_data.get("to_date")
        if from_date and to_date and from_date > to_date:
            self.add_error("from_date", forms.ValidationError(
                self.error_messages["from_after_to"], code="from_after_to",
                params={"from_date": from_date.isoformat(), "to_date": to_date.isoformat()},
            ))
        return cleaned_data

    def filter_events(self, events):
        """Narrow ``events`` by the filters. Call it only after ``is_valid()`` returned True."""
        data = self.cleaned_data
        if data.get("action"):
            events = events.filter(action=data["action"])
        if data.get("product"):
            events = events.filter(product=data["product"])
        if data.get("member"):
            events = events.filter(actor=data["member"])
        if data.get("from_date"):
            events = events.filter(occurred_at__gte=self.start_of(data["from_date"]))
        if data.get("to_date"):
            next_day = data["to_date"] + datetime.timedelta(days=1)
            events = events.filter(occurred_at__lt=self.start_of(next_day))
        return events

    def start_of(self, day: datetime.date) -> datetime.datetime:
        """Return the instant that ``day`` begins in the organization's time zone.

        Where a zone skips midnight for summer time, the wall-clock 00:00
        does not exist and zoneinfo reads it with the offset before the
        jump, which is the instant that the day begins.
        """
        return datetime.datetime.combine(day, datetime.time.min, tzinfo=self.organization.tzinfo)

    @property
    def is_filtered(self) -> bool:
        return self.is_bound and any(
            self.data.get(name) for name in self.fields
        )
