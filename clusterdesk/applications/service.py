"""The public face of the applications app for other apps.

- ``page_context(application, user)``: what the application's form and read-only view show (data,
  figures, readiness, the return's notes by field), in a bounded number of queries.
- ``report_context(request, application, data)``: the criteria report against the set version asked
  for in the query string (default: the one the round pins).
"""

from .pages import page_context, report_context

__all__ = ["page_context", "report_context"]
