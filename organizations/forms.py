import uuid
import zoneinfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from history.forms import SubmissionTokenMixin

from .models import Invitation, Organization, Role


def time_zone_choices() -> list[tuple[str, str]]:
    names = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})
    return [(name, name.replace("_", " ")) for name in names]


class OrganizationForm(SubmissionTokenMixin, forms.ModelForm):
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        initial="UTC",
        help_text=_(
            "Dates and times of this organization are shown in this zone, and grace "
            "periods end at the same local time of day as they began."
        ),
    )

    class Meta:
        model = Organization
        fields = ["name", "country", "time_zone"]
        labels = {"name": _("Name"), "country": _("Country")}
        help_texts = {"name": _("The customer's name as it appears on invoices.")}


ROLE_HELP = _(
    "Admin: everything, including members. Operator: trials, activation, license keys "
    "and usage. Viewer: sees everything, changes nothing."
)


class MemberChangeForm(SubmissionTokenMixin):
    """Base of the forms that change members, with errors keyed by MembershipError codes."""

    error_messages = {
        "expired": _(
            "This form is incomplete or out of date, so nothing changed. Reload the page "
            "and try again."
        ),
        "token_reused": _(
            "This form was already submitted with other values, so nothing changed. "
            "Check the values and submit again."
        ),
        "last_admin": _(
            "This is the organization's only admin, and an organization always keeps at "
            "least one. Make another member an admin first."
        ),
    }
    # The field next to which an error code is shown; others go above the form.
    error_fields: dict[str, str] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["submission_token"].error_messages.update({
            "required": self.error_messages["expired"],
            "invalid": self.error_messages["expired"],
        })

    def reject(self, code: str) -> None:
        """Show the message of ``code`` next to its field, or above the form."""
        if code == "token_reused":
            # A fresh token lets the person submit the corrected form at once.
            self.data = self.data.copy()
            self.data[self.add_prefix("submission_token")] = str(uuid.uuid4())
        field = self.error_fields.get(code)
        self.add_error(field, ValidationError(self.error_messages[code], code=code))


class InviteForm(MemberChangeForm):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=Invitation._meta.get_field("email").max_length,
        help_text=_("The invitation link is sent to this address and works for 7 days."),
    )
    role = forms.ChoiceField(
        label=_("Role"), choices=Role.choices, initial=Role.VIEWER, help_text=ROLE_HELP
    )

    error_messages = {
        **MemberChangeForm.error_messages,
        "already_member": _(
            "This address belongs to a member already. Change that member's role in the "
            "list of members instead."
        ),
        "already_invited": _(
            "This address has a pending invitation already. Revoke it to invite the "
            "address again, for example with another role."
        ),
        "email_failed": _(
            "The invitation email could not be sent, so nobody was invited. Check the "
            "address and try again later."
        ),
    }
    error_fields = {"already_member": "email", "already_invited": "email"}


class RoleForm(MemberChangeForm):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    error_fields = {"last_admin": "role"}


class ConfirmForm(MemberChangeForm):
    """A button that removes a member, revokes an invitation or leaves the organization."""


class RequireMfaForm(MemberChangeForm):
    require_mfa = forms.BooleanField(
        label=_("Require two-factor sign-in"),
        required=False,
        help_text=_(
            "Members without an authenticator app are sent to set one up before they "
            "can open this organization's pages."
        ),
    )

    error_messages = {
        **MemberChangeForm.error_messages,
        "mfa_missing": _(
            "Set up two-factor sign-in for your own account first: with this on, "
            "members without it cannot open the organization's pages."
        ),
    }
    error_fields = {"mfa_missing": "require_mfa"}


class JoinForm(SubmissionTokenMixin):
    """The Join button of an invitation link."""
