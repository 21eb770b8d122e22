"""API of the attachment documents."""

from ninja import Router

router = Router(tags=["公文与材料包"])
