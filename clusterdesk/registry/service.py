"""The registry's public face for other apps (Open Forms style): import from here, never from
``registry.domain`` or the registry's views.

- ``on_recognized`` / ``on_national_recognized``: the review chain's recognition enters or
  updates the cluster's one registry entry (``on_national_recognized(application, actor,
  document_number="", date="")`` records MIIT's document number and date when given).
- ``existing_entry(org, leading_industry_code, niche)``: the registry entry of the same cluster
  (same county-level unit, same leading industry code or niche, not revoked), or None.
- ``later_round_notice(application, leading_industry_code, niche)``: the warning shown before
  an application of a cluster already in the registry is submitted and reviewed ("" if none).
- ``extend_validity`` / ``revoke``: re-review outcomes.
- ``EXPIRY_HOLDS``: callables ``(today) -> cluster ids`` that keep entries from expiring
  (a pending re-review).
- ``CLUSTER``: the entry's state machine (its groups: "valid", "in_registry", …).
"""

from .domain import (
    EXPIRY_HOLDS, existing_entry, extend_validity, later_round_notice, on_national_recognized, on_recognized, revoke,
)
from .models import Cluster, ClusterStatus, Level
from .workflow import CLUSTER

__all__ = ["CLUSTER", "EXPIRY_HOLDS", "Cluster", "ClusterStatus", "Level", "existing_entry", "extend_validity", "later_round_notice",
           "on_national_recognized", "on_recognized", "revoke"]
