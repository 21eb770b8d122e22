"""The review chain's public face for other apps: import from here, never from
``reviews.domain``, ``reviews.province`` or the views.

- ``PROVINCIAL`` / ``NATIONAL``: the application's two tracks (``core.workflow.Machine``).
- ``perform`` / ``available`` / ``allowed``: single-application actions of either track.
- ``timeline``: what a viewer may see of an application's history.
- ``round_progress``: every recommending unit's counts by status and its list deadlines (a fixed
  number of queries), as the province overview and the leader's dashboard show them.
- ``review_form_key``: the ``core.formkeep`` key under which a refused review action keeps its
  input for the application page.
"""

from .domain import allowed, available, perform, round_progress, timeline
from .workflow import NATIONAL, NATIONAL_PIPELINE, PIPELINE, PROVINCIAL, machine_of



def review_form_key(pk) -> str:
    """The key of the review action boxes of application ``pk`` in ``core.formkeep``."""
    return f"review-{pk}"


__all__ = ["NATIONAL", "NATIONAL_PIPELINE", "PIPELINE", "PROVINCIAL", "allowed", "available", "machine_of",
           "perform", "review_form_key", "round_progress", "timeline"]
