"""Routes of the package documents (filled in by that work)."""

urlpatterns = []
