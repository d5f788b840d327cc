# Placeholder views: each is replaced by the real page.
from django.http import HttpResponse


def history(request, *args, **kwargs):
    return HttpResponse('history')


def export_csv(request, *args, **kwargs):
    return HttpResponse('export_csv')

