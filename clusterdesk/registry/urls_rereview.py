"""Routes of the rereview work (filled in by that work)."""

urlpatterns = []
