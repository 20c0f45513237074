"""Domain errors. Services raise these; the API exception handler and the web views turn them
into responses a person can act on (which field, what was wrong)."""


class DomainError(Exception):
    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(DomainError):
    status_code = 403
    code = "permission_denied"


class NotVerified(NotAllowed):
    code = "not_verified"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"
