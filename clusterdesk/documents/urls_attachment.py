"""Routes of the attachment documents (filled in by that work)."""

urlpatterns = []
