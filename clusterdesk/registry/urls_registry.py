"""Routes of the registry work (filled in by that work)."""

urlpatterns = []
