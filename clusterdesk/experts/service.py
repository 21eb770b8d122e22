"""What other apps may ask of the expert review (its public face)."""

from django.db.models import Count, Max, Q

REVIEW_COMPLETED_LABEL = "专家评审已完成"


def review_completed_at(application_id: int):
    """When the expert review of an application was complete: the last submission once every
    assigned expert has submitted (one query); None while any is open or none is assigned.
    This is all a county or city may learn of the review (issue 13 §1)."""
    from .models import ExpertAssignment

    row = ExpertAssignment.objects.filter(application_id=application_id).aggregate(
        n=Count("pk"), open=Count("pk", filter=Q(submitted_at__isnull=True)), last=Max("submitted_at"))
    return row["last"] if row["n"] and not row["open"] else None
