"""The History page and its CSV export: who in the organization did what, and when."""

import csv
import datetime
import logging
from collections.abc import Iterator

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from organizations.access import organization_view
from organizations.models import Organization

from .forms import HistoryFilterForm
from .models import Event

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
EXPORT_CHUNK_SIZE = 500
# Largest value of a bigint primary key: a larger id in a cursor is invalid.
MAX_ID = 2**63 - 1
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@organization_view()
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    form = HistoryFilterForm(request.GET, organization=request.organization)
    return render(request, "history/history.html", page_context(request, form))


@organization_view()
@require_GET
def export_csv(request: HttpRequest) -> HttpResponse:
    """Stream every event that the History page's filters select, as CSV."""
    organization = request.organization
    form = HistoryFilterForm(request.GET, organization=organization)
    if not form.is_valid():
        # The page shows what is wrong next to each filter.
        return render(request, "history/history.html", page_context(request, form), status=400)

    events = filtered_events(form, organization).select_related("product")
    today = timezone.localdate(timezone.now(), organization.tzinfo)
    filename = f"history-{organization.slug}-{today.isoformat()}.csv"
    logger.info("Exporting the History of organization %s as CSV", organization.pk)
    response = StreamingHttpResponse(
        csv_rows(events, organization, translation.get_language()),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def page_context(request: HttpRequest, form: HistoryFilterForm) -> dict:
    """Return one page of filtered events, newest first, and the links to the others.

    Invalid filters select no events, so that the page shows no results
    beside the errors instead of results that ignore a filter.
    """
    filters = filter_query(request.GET).urlencode()
    context = {"form": form, "events": [], "filters": filters, "cursor": None, "older_cursor": None}
    if not form.is_valid():
        return context

    cursor = parse_cursor(request.GET.get("cursor", ""))
    events = filtered_events(form, request.organization).select_related("product")
    if cursor:
        events = after_cursor(events, cursor)
    # Reading one row more than a page shows whether an older page exists.
    rows = list(events[: PAGE_SIZE + 1])
    page = rows[:PAGE_SIZE]
    for event in page:
        event.who = actor_label(event)
    context.update({
        "events": page,
        "cursor": cursor,
        "older_cursor": format_cursor(page[-1]) if len(rows) > PAGE_SIZE else None,
    })
    return context


def filtered_events(form: HistoryFilterForm, organization: Organization) -> QuerySet:
    events = Event.objects.filter(organization=organization)
    return form.filter_events(events).order_by("-occurred_at", "-id")


def filter_query(query: QueryDict) -> QueryDict:
    """Return the query string without its cursor, to carry the filters to other pages."""
    filters = query.copy()
    filters.pop("cursor", None)
    return filters


def format_cursor(event: Event) -> str:
    """Return the position after ``event`` as "<microseconds since 1970>_<id>", in UTC."""
    delta = event.occurred_at - EPOCH
    microseconds = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return f"{microseconds}_{event.pk}"


def parse_cursor(text: str) -> tuple[datetime.datetime, int] | None:
    """Return the (occurred_at, id) that a cursor points after, or None if it is invalid."""
    if not text:
        return None

    try:
        microseconds_text, id_text = text.split("_")
        occurred_at = EPOCH + datetime.timedelta(microseconds=int(microseconds_text))
        event_id = int(id_text)
    except (ValueError, OverflowError):
        logger.info("Ignored an invalid History cursor %r", text[:80])
        return None

    if not 0 < event_id <= MAX_ID:
        logger.info("Ignored a History cursor with the id out of range: %r", text[:80])
        return None
    return occurred_at, event_id


def after_cursor(events: QuerySet, cursor: tuple[datetime.datetime, int]) -> QuerySet:
    """Keep the events older than the cursor in (occurred_at, id) order.

    The first condition bounds the scan of the (organization, occurred_at, id)
    index, so a page costs the same however far back it is. The second
    decides only among the events of the cursor's own instant.
    """
    occurred_at, event_id = cursor
    return events.filter(occurred_at__lte=occurred_at).filter(
        Q(occurred_at__lt=occurred_at) | Q(id__lt=event_id)
    )


class EchoBuffer:
    """A file-like object whose write returns what it was given, for csv.writer."""

    def write(self, value: str) -> str:
        return value


def csv_rows(events: QuerySet, organization: Organization, language: str) -> Iterator[str]:
    """Yield the CSV lines of ``events``, in the organization's time zone.

    The response is consumed after the view has returned, when the
    request's time zone and language are no longer active, so the
    generator activates them again while it runs.
    """
    writer = csv.writer(EchoBuffer())
    zone = organization.tzinfo
    with translation.override(language), timezone.override(zone):
        # A byte order mark makes spreadsheet programs read the file as UTF-8.
        yield "\ufeff" + writer.writerow([
            _("time"), _("time zone"), _("actor"), _("actor kind"), _("action"),
            _("product code"), _("product name"), _("description"),
        ])
        for event in events.iterator(chunk_size=EXPORT_CHUNK_SIZE):
            yield writer.writerow([neutralize_formula(value) for value in (
                timezone.localtime(event.occurred_at, zone).isoformat(),
                organization.time_zone,
                actor_label(event),
                event.get_actor_kind_display(),
                event.get_action_display(),
                event.product.code if event.product else "",
                event.product.name if event.product else "",
                event.summary(),
            )])


def actor_label(event: Event) -> str:
    """Return who acted: the name stored with the event, or "System" for the scheduler.

    A person's name is the one they had when they acted, so renaming or
    deleting the account later does not change History.
    """
    if event.actor_kind == Event.ActorKind.SYSTEM:
        return _("System")
    return event.actor_name


def neutralize_formula(value: str) -> str:
    """Make a cell that a spreadsheet would run as a formula read as text instead."""
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text
