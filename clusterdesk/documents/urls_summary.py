"""Routes of the summary documents (filled in by that work)."""

urlpatterns = []
