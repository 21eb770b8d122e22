"""API of the registry work."""

from ninja import Router

router = Router(tags=["集群名录与复核"])
