"""The registry's public face for other apps (Open Forms style): import from here, never from
``registry.domain`` or the registry's views.

- ``on_recognized`` / ``on_national_recognized``: the review chain's recognition enters or
  raises the cluster's one registry entry.
- ``extend_validity`` / ``revoke``: re-review outcomes.
- ``EXPIRY_HOLDS``: callables ``(today) -> cluster ids`` that keep entries from expiring
  (a pending re-review).
"""

from .domain import EXPIRY_HOLDS, extend_validity, on_national_recognized, on_recognized, revoke
from .models import Cluster, ClusterStatus, Level

__all__ = ["EXPIRY_HOLDS", "Cluster", "ClusterStatus", "Level", "extend_validity", "on_national_recognized",
           "on_recognized", "revoke"]
