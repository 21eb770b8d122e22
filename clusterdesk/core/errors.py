"""The one exception type domain functions raise for a refusal a user can meet.

``message`` is Chinese, names the field and says what to do. ``status`` is the HTTP
status the API answers with (400 bad input, 403 not allowed, 404 not found / out of
scope, 409 wrong state, conflict, late).
"""


class DomainError(Exception):
    status = 400

    def __init__(self, message: str, *, field: str | None = None, status: int | None = None, errors=None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors = errors or []
        if status is not None:
            self.status = status


class NotAllowed(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409
