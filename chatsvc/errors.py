"""One error tree: every refusal the server makes has a stable code, an HTTP status and a close code.

Clients see the code and a sentence, never a traceback. Mapped to responses in one place at the edge
(``chatsvc.web.errors``).
"""

from __future__ import annotations

# WebSocket close codes used by the server (RFC 6455 section 7.4.1 and the IANA registry).
CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_POLICY = 1008  # unauthorized, revoked session, abuse
CLOSE_TOO_BIG = 1009  # frame over the size limit (sent by the server's WebSocket layer)
CLOSE_INTERNAL = 1011
CLOSE_RESTART = 1012  # the server is restarting: reconnect elsewhere / later
CLOSE_TRY_AGAIN = 1013  # slow consumer, too many connections: reconnect later


class ChatError(Exception):
    """A refusal with a stable machine-readable ``code`` and a human sentence."""

    code = "error"
    status = 400
    close_code: int | None = None  # set when the error ends a WebSocket connection
    default_message = "The request was refused."

    def __init__(self, message: str | None = None, *, ref: str | None = None) -> None:
        self.message = message or self.default_message
        self.ref = ref  # the client id or request the error answers, when there is one
        super().__init__(self.message)


class BadFrame(ChatError):
    code = "bad_frame"
    default_message = "The frame is not valid JSON of a known type with the expected fields."


class BadRequest(ChatError):
    code = "bad_request"
    default_message = "The request body is not valid."


class UnsupportedVersion(ChatError):
    code = "unsupported_version"
    close_code = CLOSE_POLICY
    default_message = "This protocol version is not supported by the server."


class Unauthorized(ChatError):
    """Missing, expired, forged or revoked credentials. Never says which."""

    code = "unauthorized"
    status = 401
    close_code = CLOSE_POLICY
    default_message = "Authentication is required or has expired."


class Forbidden(ChatError):
    code = "forbidden"
    status = 403
    default_message = "You may not do that."


class NotFound(ChatError):
    """Also used for things that exist but are not the caller's: the answer must not reveal which."""

    code = "not_found"
    status = 404
    default_message = "No such conversation or resource."


class Conflict(ChatError):
    code = "conflict"
    status = 409
    default_message = "The request conflicts with the current state."


class InvalidState(ChatError):
    code = "invalid_state"
    status = 409
    default_message = "That action is not possible in the conversation's current state."


class OverCapacity(ChatError):
    code = "over_capacity"
    status = 409
    default_message = "The agent has no free capacity."


class RateLimited(ChatError):
    code = "rate_limited"
    status = 429
    default_message = "Too many requests; slow down."

    def __init__(self, message: str | None = None, *, ref: str | None = None, retry_after: float = 1.0):
        super().__init__(message, ref=ref)
        self.retry_after = retry_after


class OriginNotAllowed(ChatError):
    code = "origin_not_allowed"
    status = 403
    default_message = "This origin may not open that connection."


class TooManyConnections(ChatError):
    code = "too_many_connections"
    status = 429
    close_code = CLOSE_TRY_AGAIN
    default_message = "Too many connections from this address."


class SlowConsumer(ChatError):
    code = "slow_consumer"
    close_code = CLOSE_TRY_AGAIN
    default_message = "The client is not reading its messages; reconnect and resume."


class PasswordChangeRequired(ChatError):
    code = "password_change_required"
    status = 403
    default_message = "The password must be changed before continuing."


class Unavailable(ChatError):
    code = "unavailable"
    status = 503
    close_code = CLOSE_TRY_AGAIN
    default_message = "The service is temporarily unavailable."
