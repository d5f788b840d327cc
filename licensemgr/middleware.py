import logging

from django.shortcuts import render

from .db import DatabaseBusy

logger = logging.getLogger(__name__)


class DatabaseBusyMiddleware:
    """Answer a conflict that outlasted its retries with a page saying what to do."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DatabaseBusy):
            return None
        logger.error("Gave up on %s %s: %s", request.method, request.path, exception)
        return render(request, "busy.html", status=503)
