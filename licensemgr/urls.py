from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from organizations import member_views
from organizations import views as organization_views

# Staff sign in through allauth, whose rate limits and two-factor step
# then protect the admin as well.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", organization_views.home, name="home"),
    path("where-to-buy/", organization_views.where_to_buy, name="where_to_buy"),
    path("invitations/<str:secret>/", member_views.invitation, name="invitation"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("orgs/", include("organizations.urls")),
    path("orgs/<slug:slug>/", include("licensing.urls")),
    path("orgs/<slug:slug>/wallet/", include("wallet.urls")),
    path("orgs/<slug:slug>/history/", include("history.urls")),
]
