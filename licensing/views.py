# Placeholder views: each is replaced by the real page.
from django.http import HttpResponse


def organization_home(request, *args, **kwargs):
    return HttpResponse('organization_home')


def overview(request, *args, **kwargs):
    return HttpResponse('overview')


def products(request, *args, **kwargs):
    return HttpResponse('products')


def product(request, *args, **kwargs):
    return HttpResponse('product')


def start_trial(request, *args, **kwargs):
    return HttpResponse('start_trial')


def change_usage(request, *args, **kwargs):
    return HttpResponse('change_usage')


def activate_select(request, *args, **kwargs):
    return HttpResponse('activate_select')


def activate_terms(request, *args, **kwargs):
    return HttpResponse('activate_terms')


def activate_summary(request, *args, **kwargs):
    return HttpResponse('activate_summary')


def activate_finish(request, *args, **kwargs):
    return HttpResponse('activate_finish')

