"""The domain's ways to fail, the same in every service; HTTP mapping lives in shared/app.py.

Service code raises these with a message a person can act on. It never names an HTTP status:
`install_error_handlers` turns NotFound into 404, Conflict into 409 and Refused into 422.
"""


class DomainError(Exception):
    """Base of the errors a service's domain code raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """No such thing for this caller (another officer's thing looks exactly the same)."""


class Conflict(DomainError):
    """The request clashes with the current state (one problem first, a plan already running)."""


class Refused(DomainError):
    """The request is understood but the method does not allow it; the message says what to do."""
