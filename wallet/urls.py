from django.urls import path

from . import views

app_name = "wallet"

urlpatterns = [
    path("", views.wallet, name="wallet"),
    path("redeem/", views.redeem_preview, name="redeem"),
    path("redeem/confirm/", views.redeem_confirm, name="redeem_confirm"),
]
