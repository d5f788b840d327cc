# Placeholder views: each is replaced by the real page.
from django.http import HttpResponse


def wallet(request, *args, **kwargs):
    return HttpResponse('wallet')


def redeem_preview(request, *args, **kwargs):
    return HttpResponse('redeem_preview')


def redeem_confirm(request, *args, **kwargs):
    return HttpResponse('redeem_confirm')

