from django.urls import path

from . import views

app_name = "licensing"

urlpatterns = [
    path("", views.organization_home, name="organization_home"),
    path("overview/", views.overview, name="overview"),
    path("products/", views.products, name="products"),
    path("products/<slug:code>/", views.product, name="product"),
    path("products/<slug:code>/trial/", views.start_trial, name="start_trial"),
    path("products/<slug:code>/usage/", views.change_usage, name="change_usage"),
    path("activate/", views.activate_select, name="activate"),
    path("activate/terms/", views.activate_terms, name="activate_terms"),
    path("activate/summary/", views.activate_summary, name="activate_summary"),
    path("activate/finish/", views.activate_finish, name="activate_finish"),
]
