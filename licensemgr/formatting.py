import datetime

from django.utils import timezone
from django.utils.dateformat import format as format_date


def format_instant(value: datetime.datetime) -> str:
    """Format an instant as date, time and zone in the active time zone.

    Organization pages activate the organization's zone, so an instant
    reads the same on every page, e.g. "4 Dec 2026, 14:05 CET".
    """
    local = timezone.localtime(value)
    return format_date(local, "j M Y, H:i T")
