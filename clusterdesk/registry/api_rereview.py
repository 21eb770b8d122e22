"""API of the rereview work."""

from ninja import Router

router = Router(tags=["集群名录与复核"])
