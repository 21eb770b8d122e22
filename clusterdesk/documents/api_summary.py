"""API of the summary documents."""

from ninja import Router

router = Router(tags=["公文与材料包"])
