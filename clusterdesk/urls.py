"""URL routes. Pages are server-rendered; the JSON API lives under /api/v1/."""

from django.contrib.auth.views import LogoutView
from django.urls import include, path

from clusterdesk.api.main import api
from clusterdesk.audit import views as audit_views
from clusterdesk.core import views as core_views
from clusterdesk.orgs import views as org_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("login/", org_views.Login.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("password/", org_views.password_change, name="password_change"),
    path("orgs/", org_views.org_tree, name="org_tree"),
    path("orgs/<str:code>/", org_views.org_detail, name="org_detail"),
    path("accounts/", org_views.account_list, name="account_list"),
    path("accounts/new/", org_views.account_create, name="account_create"),
    path("accounts/<int:pk>/", org_views.account_detail, name="account_detail"),
    path("accounts/<int:pk>/<slug:action>/", org_views.account_action, name="account_action"),
    path("todo/", core_views.todo, name="todo"),
    path("todo/badge/", core_views.todo_badge, name="todo_badge"),
    path("announcements/", include("clusterdesk.notifications.urls_announcements")),
    path("audit/", audit_views.audit_log, name="audit_log"),
    path("audit/export.csv", audit_views.audit_log_csv, name="audit_log_csv"),
    path("applications/", include("clusterdesk.applications.urls")),
    path("rounds/", include("clusterdesk.rounds.urls")),
    path("reviews/", include("clusterdesk.reviews.urls")),
    path("criteria/", include("clusterdesk.criteria.urls")),
    path("documents/", include("clusterdesk.documents.urls")),
    path("registry/", include("clusterdesk.registry.urls")),
    path("registry/", include("clusterdesk.rereview.urls")),  # re-review pages keep their /registry/rereview/ paths
    path("experts/", include("clusterdesk.experts.urls")),
    path("messages/", include("clusterdesk.notifications.urls")),
    path("api/v1/", api.urls),
]

handler403 = core_views.error_403
handler404 = core_views.error_404
handler500 = core_views.error_500
