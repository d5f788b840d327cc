import zoneinfo

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Organization


def time_zone_choices() -> list[tuple[str, str]]:
    names = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})
    return [(name, name.replace("_", " ")) for name in names]


class OrganizationForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        help_text=_("Dates and times of this organization are shown in this zone."),
    )

    class Meta:
        model = Organization
        fields = ["name", "country", "time_zone"]
        labels = {"name": _("Name"), "country": _("Country")}
        help_texts = {"name": _("The customer's name as it appears on invoices.")}
