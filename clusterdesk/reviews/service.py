"""The review chain's public face for other apps: import from here, never from
``reviews.domain``, ``reviews.province`` or the views.

- ``PROVINCIAL`` / ``NATIONAL``: the application's two tracks (``core.workflow.Machine``).
- ``perform`` / ``available`` / ``allowed``: single-application actions of either track.
- ``timeline``: what a viewer may see of an application's history.
"""

from .domain import allowed, available, perform, timeline
from .workflow import NATIONAL, NATIONAL_PIPELINE, PIPELINE, PROVINCIAL, machine_of

__all__ = ["NATIONAL", "NATIONAL_PIPELINE", "PIPELINE", "PROVINCIAL", "allowed", "available", "machine_of",
           "perform", "timeline"]
