from django.urls import path

from . import views

urlpatterns = [
    # experts
    path("", views.assignment_list, name="expert_assignments"),
    path("assignments/<int:pk>/", views.score_page, name="expert_score"),
    path("conflicts/", views.conflicts, name="expert_conflicts"),
    # province
    path("admin/", views.admin_index, name="expert_admin"),
    path("rounds/<int:round_id>/rubric/", views.rubric_edit, name="expert_rubric"),
    path("rounds/<int:round_id>/assignments/", views.assignments_admin, name="expert_assign"),
    path("rounds/<int:round_id>/results/", views.results_page, name="expert_results"),
    path("rounds/<int:round_id>/results.xlsx", views.results_xlsx, name="expert_results_xlsx"),
]
