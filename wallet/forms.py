from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from history.forms import SubmissionTokenMixin
from licensing.models import Product
from organizations.models import Organization

from .issuing import MAX_KEYS_PER_BATCH, MAX_LICENSES_PER_KEY
from .models import LicenseKey

# Long enough for a key with a space or a line break between every
# character; anything longer cannot be a key.
MAX_KEY_INPUT_LENGTH = 200


class RedeemForm(SubmissionTokenMixin):
    """The license key a member types or pastes on the Wallet page."""

    key = forms.CharField(
        label=_("License key"),
        # An empty key gets the service's "empty" message, like a key of
        # only dashes and spaces.
        required=False,
        max_length=MAX_KEY_INPUT_LENGTH,
        help_text=_(
            "Type or paste the key, like XXXXX-XXXXX-XXXXX-XXXXX-XXXXX. Letter case, "
            "spaces, dashes and line breaks do not matter."
        ),
        widget=forms.Textarea(attrs={
            "rows": 2,
            "cols": 40,
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
        }),
    )

    # Keyed by the codes of wallet.services.RedeemError, plus the form's own.
    error_messages = {
        "empty": _("Enter a license key."),
        "malformed": _(
            "This is not a license key: a key has 25 letters and digits, like "
            "XXXXX-XXXXX-XXXXX-XXXXX-XXXXX. Check what you copied."
        ),
        "typo": _(
            "This key contains a typo. Compare it character by character with the "
            "key you received."
        ),
        # One message for unknown, revoked and already redeemed keys, so that
        # the page does not reveal whether a key exists or who redeemed it.
        "unusable": _(
            "This license key cannot be redeemed: it is not valid or has already "
            "been used. Contact the seller who gave you the key."
        ),
        "throttled": _(
            "Too many license keys were rejected in the last minute. Wait a minute, "
            "then check the key and try again."
        ),
        "expired": _(
            "This form is incomplete or out of date. Enter the license key again "
            "and click Redeem license key."
        ),
        "token_reused": _(
            "This form was already used to redeem another license key, so it was "
            "not redeemed. Check the key below and click Redeem license key again."
        ),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["key"].error_messages["max_length"] = self.error_messages["malformed"]
        self.fields["submission_token"].error_messages.update({
            "required": self.error_messages["expired"],
            "invalid": self.error_messages["expired"],
        })

    def reject_key(self, code: str) -> None:
        """Show the message of a RedeemError or KeyFormatError code next to the key."""
        self.add_error("key", ValidationError(self.error_messages[code], code=code))

    def reject_token(self) -> None:
        message = self.error_messages["token_reused"]
        self.add_error(None, ValidationError(message, code="token_reused"))


class RedeemConfirmForm(RedeemForm):
    """The preview's confirmation: the key travels in a hidden field."""

    key = forms.CharField(
        widget=forms.HiddenInput, required=False, max_length=MAX_KEY_INPUT_LENGTH
    )


class IssueKeysForm(forms.Form):
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.all())
    licenses = forms.IntegerField(
        label=_("Licenses per key"), min_value=1, max_value=MAX_LICENSES_PER_KEY,
        help_text=_("How many licenses, one per unit, each key carries."),
    )
    count = forms.IntegerField(
        label=_("Number of keys"), min_value=1, max_value=MAX_KEYS_PER_BATCH,
        help_text=format_lazy(_("At most {max} keys at once."), max=MAX_KEYS_PER_BATCH),
    )
    order_reference = forms.CharField(
        label=_("Order reference"), required=False,
        max_length=LicenseKey._meta.get_field("order_reference").max_length,
        help_text=_("The order the keys are sold with, to find them again later."),
    )


class CorrectionForm(SubmissionTokenMixin):
    """An ops correction of one wallet, written to the ledger and History."""

    organization = forms.ModelChoiceField(
        label=_("Organization"), queryset=Organization.objects.all()
    )
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.all())
    change = forms.IntegerField(
        label=_("Change"),
        help_text=_("Licenses to add to the wallet, or a negative number to remove."),
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=200,
        help_text=_("Shown in the organization's History, e.g. the support case number."),
    )

    # Keyed by the codes of wallet.services.CorrectionError, plus the form's own.
    error_messages = {
        "zero": _(
            "A change of 0 does nothing. Enter a positive number to add licenses or a "
            "negative number to remove them."
        ),
        "no_reason": _(
            "Enter the reason for the correction. The organization sees it in its History."
        ),
        "below_zero": _(
            "The wallet holds fewer licenses of this product than you want to remove. "
            "Remove at most what it holds: consumed licenses cannot be taken back."
        ),
        "too_large": _(
            "One correction adds or removes at most 100,000 licenses. Enter a smaller "
            "number, or split the correction and give each part its reason."
        ),
        "token_reused": _(
            "This form was submitted already with other values. Open Correct a wallet "
            "again to make another correction."
        ),
    }
    FIELD_OF_ERROR = {
        "zero": "change", "no_reason": "reason", "below_zero": "change", "too_large": "change",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].error_messages["required"] = self.error_messages["no_reason"]

    def reject(self, code: str) -> None:
        field = self.FIELD_OF_ERROR.get(code)
        self.add_error(field, ValidationError(self.error_messages[code], code=code))
