"""Forms of the licensing pages: Start trial, Change usage and the steps of Activate."""

import re
import uuid
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from history.forms import SubmissionTokenMixin
from organizations.models import Organization

from .catalog import Activatable, activatable_products
from .models import Product, Subscription, Terms
from .services import ActivationRequest, LicensingError

# A sanity limit on a stated usage, well inside the database's 32-bit integer column.
MAX_USAGE = 1_000_000

WHOLE_NUMBER = re.compile(r"[0-9]+")


def whole_number(text: str) -> int | None:
    """Return ``text`` as a whole number, or None when it is not one.

    A number with more digits than MAX_USAGE comes back as MAX_USAGE + 1:
    being too high is all that matters about it, and Python refuses to
    convert strings of more than 4300 digits.
    """
    if not WHOLE_NUMBER.fullmatch(text):
        return None
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(MAX_USAGE)):
        return MAX_USAGE + 1
    return int(digits)


class StartTrialForm(SubmissionTokenMixin):
    """The Start trial button: only a token, because the product is in the address."""

    # Keyed by the codes of licensing.services.LicensingError, plus the form's own.
    error_messages = {
        "trial_used": _(
            "This organization already used its trial of %(product)s: each "
            "organization gets one trial of each product. Activate %(product)s to "
            "keep using it."
        ),
        "already_activated": _(
            "%(product)s is activated already in this organization, so it needs no "
            "trial."
        ),
        "unavailable": _(
            "%(product)s is no longer available, so no trial of it can start."
        ),
        "expired": _(
            "This form is incomplete or out of date, so no trial started. "
            "Click Start trial again."
        ),
        "token_reused": _(
            "This form was already used for another request, so no trial started. "
            "Click Start trial again."
        ),
    }

    def message_for(self, code: str, product: Product) -> str:
        return str(self.error_messages[code]) % {"product": product.name}


class UsageForm(SubmissionTokenMixin):
    """The number of units of one activated product in use now."""

    usage = forms.IntegerField(
        label=_("Units in use"), min_value=0, max_value=MAX_USAGE
    )

    # Keyed by the codes of licensing.services.LicensingError, plus the form's own.
    error_messages = {
        "invalid": _("Enter the number of units in use as a whole number, such as 12."),
        "min_value": _("The usage cannot be negative. Enter 0 if no units are in use."),
        "max_value": _("Enter a usage of at most %(limit_value)s units."),
        "usage_unchanged": _(
            "The usage of %(product)s is %(usage)s already. Enter the new number of "
            "units in use."
        ),
        "not_activated": _(
            "%(product)s is not activated in this organization, so it has no usage to "
            "change. Activate it first."
        ),
        "renewal_pending": _(
            "The renewal of %(product)s is being recorded right now, so the usage did "
            "not change. Try again in a minute."
        ),
        "expired": _(
            "This form is incomplete or out of date, so the usage did not change. "
            "Enter the usage again and click Change usage."
        ),
        "token_reused": _(
            "This form was already used to set another usage, so the usage did not "
            "change. Check the number and click Change usage again."
        ),
    }

    def __init__(self, *args, product: Product, **kwargs):
        super().__init__(*args, **kwargs)
        self.product = product
        usage = self.fields["usage"]
        usage.help_text = _(
            "How many %(units)s of %(product)s are in use now. Lowering it refunds no "
            "consumed licenses."
        ) % {"units": product.unit_plural, "product": product.name}
        usage.error_messages.update({
            "required": self.error_messages["invalid"],
            "invalid": self.error_messages["invalid"],
            "min_value": self.error_messages["min_value"],
            "max_value": self.error_messages["max_value"],
        })
        self.fields["submission_token"].error_messages.update({
            "required": self.error_messages["expired"],
            "invalid": self.error_messages["expired"],
        })

    def clean(self):
        cleaned_data = super().clean()
        if self.has_error("submission_token"):
            self._renew_token()
        return cleaned_data

    def reject(self, error: LicensingError, *, usage: int | None = None) -> None:
        """Show the message of a service error next to the usage."""
        code = "min_value" if error.code == "usage_too_low" else error.code
        self.add_error("usage", ValidationError(
            self.error_messages[code], code=code,
            params={"product": self.product.name, "usage": usage},
        ))

    def reject_reused_token(self) -> None:
        self.add_error(None, ValidationError(
            self.error_messages["token_reused"], code="token_reused"
        ))
        self._renew_token()

    def _renew_token(self) -> None:
        # A new token, so that the form shown again can be submitted.
        self.data = self.data.copy()
        self.data["submission_token"] = str(uuid.uuid4())


# The steps of Activate, in order.
SELECT, TERMS, SUMMARY = "select", "terms", "summary"


@dataclass(frozen=True)
class Choice:
    """One selected product with the usage stated for it and its current terms."""

    product: Product
    terms: Terms
    usage: int | None
    accept_field: forms.BoundField


@dataclass(frozen=True)
class ProductRow:
    """One line of the first step: a product's checkbox and its usage field."""

    product: Product
    terms: Terms
    checkbox: forms.boundfield.BoundWidget
    usage_field: forms.BoundField


class ProductCodesField(forms.MultipleChoiceField):
    """Product codes, checked by the form so that its messages name the product."""

    def valid_value(self, value) -> bool:
        return True


class ActivationForm(SubmissionTokenMixin):
    """Every choice of the Activate steps, checked again at each step.

    The steps carry the earlier choices in hidden fields, so each request
    contains all of them. ``through`` names the last step whose input must
    be complete. Each activatable product has three fields, named after its
    code: ``usage_<code>``, ``terms_<code>`` (the id of the terms version
    shown) and ``accept_<code>``.
    """

    products = ProductCodesField(
        label=_("Software to activate"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    error_messages = {
        "nothing_selected": _("Select at least one product to activate."),
        "already_activated": _(
            "%(product)s is activated already in this organization, so it was taken "
            "out of your selection. Check the selection and click Next."
        ),
        "changed_meanwhile": _(
            "The software of this organization changed while it was being activated, "
            "so nothing was activated. Review the summary and click Finish again."
        ),
        "unavailable": _(
            "The product “%(code)s” cannot be activated: it is unknown or no longer "
            "available. Check the selection and click Next."
        ),
        "usage_missing": _(
            "Enter how many units of %(product)s are in use, a whole number of 1 or "
            "more."
        ),
        "usage_invalid": _(
            "Enter the usage of %(product)s as a whole number of 1 or more, such as 12."
        ),
        "usage_too_low": _(
            "Activation needs a usage of at least 1 unit of %(product)s. Enter how "
            "many units are in use."
        ),
        "usage_too_high": _("Enter a usage of %(product)s of at most %(limit)s units."),
        "not_accepted": _(
            "Accept the terms and conditions of %(product)s to activate it, or go back "
            "and take it out of your selection."
        ),
        "terms_changed": _(
            "The terms of %(product)s changed while you were reviewing them. Read and "
            "accept the new version."
        ),
        "expired": _(
            "This form is incomplete or out of date, so nothing was activated. Check "
            "your selection and click Next."
        ),
        "token_reused": _(
            "This form was already used for another activation, so nothing was "
            "activated now. Review the summary and click Finish again."
        ),
    }

    def __init__(self, data=None, *, organization: Organization, through: str = SELECT):
        # A private copy, because clean() replaces outdated terms and tokens
        # in the data that the next page carries on.
        super().__init__(data.copy() if data is not None else None)
        self.organization = organization
        self.through = through
        self.activatable = {
            activatable.product.code: activatable
            for activatable in activatable_products(organization)
        }
        self.fields["products"].choices = [
            (code, activatable.product.name)
            for code, activatable in self.activatable.items()
        ]
        for code, activatable in self.activatable.items():
            self._add_product_fields(code, activatable)
        self.fields["submission_token"].error_messages.update({
            "required": self.error_messages["expired"],
            "invalid": self.error_messages["expired"],
        })

    def _add_product_fields(self, code: str, activatable: Activatable) -> None:
        product, terms = activatable.product, activatable.terms
        # A text field, so that the form's own messages, which name the
        # product, report every mistake in the usage.
        self.fields[f"usage_{code}"] = forms.CharField(
            label=_("Units of %(product)s in use") % {"product": product.name},
            required=False,
            help_text=_("Number of %(units)s, 1 or more.") % {
                "units": product.unit_plural,
            },
            widget=forms.NumberInput(attrs={"min": 1, "max": MAX_USAGE, "step": 1}),
        )
        self.fields[f"terms_{code}"] = forms.CharField(
            required=False, widget=forms.HiddenInput
        )
        self.fields[f"accept_{code}"] = forms.BooleanField(
            required=False,
            label=_(
                "I accept the terms and conditions of %(product)s, version %(version)s"
            ) % {"product": product.name, "version": terms.version},
        )

    def clean_products(self) -> list[str]:
        codes = list(dict.fromkeys(self.cleaned_data["products"]))
        if not codes:
            raise ValidationError(
                self.error_messages["nothing_selected"], code="nothing_selected"
            )

        unusable = [code for code in codes if code not in self.activatable]
        if unusable:
            raise ValidationError(self._unusable_code_errors(unusable))
        return codes

    def _unusable_code_errors(self, codes: list[str]) -> list[ValidationError]:
        activated = dict(
            Subscription.objects.filter(
                organization=self.organization, product__code__in=codes
            )
            .values_list("product__code", "product__name")
        )
        errors = []
        for code in codes:
            if code in activated:
                errors.append(ValidationError(
                    self.error_messages["already_activated"], code="already_activated",
                    params={"product": activated[code]},
                ))
            else:
                errors.append(ValidationError(
                    self.error_messages["unavailable"], code="unavailable",
                    params={"code": code},
                ))
        return errors

    def clean(self):
        cleaned_data = super().clean()
        if self.has_error("submission_token"):
            # A new token, so that the page shown next can be submitted.
            self.data["submission_token"] = str(uuid.uuid4())

        for code in cleaned_data.get("products") or []:
            self._clean_usage(code)
            self._clean_terms(code)
        return cleaned_data

    def _clean_usage(self, code: str) -> None:
        name = f"usage_{code}"
        product = self.activatable[code].product
        text = (self.cleaned_data.get(name) or "").strip()
        usage = whole_number(text)
        if not text:
            error = "usage_missing"
        elif usage is None:
            error = "usage_invalid"
        elif usage < 1:
            error = "usage_too_low"
        elif usage > MAX_USAGE:
            error = "usage_too_high"
        else:
            self.cleaned_data[name] = usage
            return

        self.add_error(name, ValidationError(
            self.error_messages[error], code=error,
            params={"product": product.name, "limit": MAX_USAGE},
        ))

    def _clean_terms(self, code: str) -> None:
        terms = self.activatable[code].terms
        shown_terms_id = self.cleaned_data.get(f"terms_{code}") or ""
        if shown_terms_id == str(terms.pk):
            if self.through != SELECT and not self.cleaned_data.get(f"accept_{code}"):
                self._reject_terms(code, "not_accepted")
            return

        # The page shows the current version with its box cleared, because
        # an acceptance given to another version does not count.
        self.data[f"terms_{code}"] = str(terms.pk)
        self.data.pop(f"accept_{code}", None)
        self.cleaned_data[f"accept_{code}"] = False
        if self.through != SELECT:
            error = "terms_changed" if shown_terms_id else "not_accepted"
            self._reject_terms(code, error)

    def _reject_terms(self, code: str, error: str) -> None:
        self.add_error(f"accept_{code}", ValidationError(
            self.error_messages[error], code=error,
            params={"product": self.activatable[code].product.name},
        ))

    def reject(self, error: LicensingError) -> None:
        """Show a service error that the form's own checks did not find.

        Call it on a form built after the error, whose checks see the state
        that the service saw. So only a change in between gets here.
        """
        self.add_error(None, ValidationError(
            self.error_messages["changed_meanwhile"], code="changed_meanwhile"
        ))

    def reject_reused_token(self) -> None:
        self.add_error(None, ValidationError(
            self.error_messages["token_reused"], code="token_reused"
        ))
        self.data["submission_token"] = str(uuid.uuid4())

    def submitted_token(self) -> uuid.UUID | None:
        """Return the posted submission token, or None when it is missing or invalid."""
        try:
            field = self.fields["submission_token"]
            return field.clean(self.data.get("submission_token"))
        except ValidationError:
            return None

    def submitted_choices(self) -> dict:
        """Return the choices as posted, before any check: what a replay must repeat."""
        return {
            code: {
                "usage": self.data.get(f"usage_{code}", ""),
                "terms": self.data.get(f"terms_{code}", ""),
            }
            for code in sorted(set(self.data.getlist("products")))
        }

    def step_to_show(self) -> str:
        """Return the first step with an error, or the last step this form checked."""
        select_fields = {"products", "submission_token"}
        select_fields.update(f"usage_{code}" for code in self.activatable)
        if any(name in select_fields for name in self.errors):
            return SELECT
        if any(name.startswith(("accept_", "terms_")) for name in self.errors):
            return TERMS
        return self.through

    def rows(self) -> list[ProductRow]:
        checkboxes = {widget.data["value"]: widget for widget in self["products"]}
        return [
            ProductRow(
                product=activatable.product,
                terms=activatable.terms,
                checkbox=checkboxes[code],
                usage_field=self[f"usage_{code}"],
            )
            for code, activatable in self.activatable.items()
        ]

    def choices(self) -> list[Choice]:
        """Return the selected products, by name. Call it only on a valid selection."""
        selected = set(self.cleaned_data["products"])
        return [
            Choice(
                product=activatable.product,
                terms=activatable.terms,
                usage=self.cleaned_data.get(f"usage_{code}"),
                accept_field=self[f"accept_{code}"],
            )
            for code, activatable in self.activatable.items()
            if code in selected
        ]

    def activation_requests(self) -> list[ActivationRequest]:
        return [
            ActivationRequest(
                product=choice.product, usage=choice.usage, terms=choice.terms
            )
            for choice in self.choices()
        ]
