import logging

from django.shortcuts import render

from .db import DatabaseBusy

logger = logging.getLogger(__name__)


class DatabaseBusyMiddleware:
    """Render a page that says what to do when a conflict outlasted its retries."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DatabaseBusy):
            return None
        logger.error("Gave up on %s %s: %s", request.method, request.path, exception)
        return render(request, "busy.html", status=503)


class MethodNotAllowedPageMiddleware:
    """Explain, instead of an empty page, why opening a form's target address shows nothing.

    It happens after signing in again with a form's address as the next
    page, or when reloading an address that only receives forms.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code != 405 or request.method != "GET" or response.content:
            return response
        page = render(request, "405.html", status=405)
        page["Allow"] = response.get("Allow", "POST")
        return page
