"""Log set-up: readable lines, and secrets scrubbed from anything that might carry one."""

from __future__ import annotations

import logging
import re

# A credential in a query string (a misconfigured client) must not reach a log line through the access log.
_SECRET_IN_QUERY = re.compile(r"(?i)\b(token|password|secret|session|key|csrf[_-]?token)=([^&\s\"']+)")


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                _SECRET_IN_QUERY.sub(r"\1=[redacted]", a) if isinstance(a, str) else a
                for a in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        if isinstance(record.msg, str):
            record.msg = _SECRET_IN_QUERY.sub(r"\1=[redacted]", record.msg)
        return True


def configure(level: str = "info") -> dict[str, object]:
    """A uvicorn ``log_config``: one format for our lines and uvicorn's, secrets redacted everywhere."""
    fmt = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": RedactSecrets}},
        "formatters": {"plain": {"format": fmt, "datefmt": "%Y-%m-%d %H:%M:%S"}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]},
        },
        "loggers": {
            "chatsvc": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            "uvicorn.access": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            "alembic": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        },
    }
