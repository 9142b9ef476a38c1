"""Log set-up: readable lines, and secrets scrubbed from anything that might carry one."""

from __future__ import annotations

import logging
import logging.config
import re

# A credential in a query string (a misconfigured client) must not reach a log line through the access log.
_SECRET_IN_QUERY = re.compile(r"(?i)\b(token|password|secret|session|key|csrf[_-]?token)=([^&\s\"']+)")
# A ticket status page's path is its credential (the signed link mailed to the visitor).
_SECRET_IN_PATH = re.compile(r"(/ticket-status/)[^\s?\"'/]+")


# Configured secrets that must never be printed, whatever carries them: a scraper that puts the metrics token in a
# query parameter under any name, a header echoed in an error. Literal replacement, so only long values register
# (a 3-character "secret" would blank every word containing it, and guards nothing anyway).
_KNOWN_SECRETS: set[str] = set()
_KNOWN_SECRET_MIN = 8


def never_log(secret: str) -> None:
    """Replace ``secret`` with [redacted] in every log line from now on (in this process)."""
    if len(secret) >= _KNOWN_SECRET_MIN:
        _KNOWN_SECRETS.add(secret)


def redact(text: str) -> str:
    text = _SECRET_IN_PATH.sub(r"\1[redacted]", _SECRET_IN_QUERY.sub(r"\1=[redacted]", text))
    for secret in _KNOWN_SECRETS:
        if secret in text:
            text = text.replace(secret, "[redacted]")
    return text


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                redact(a) if isinstance(a, str) else a
                for a in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
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
            # Filtering on the loggers too: every handler attached later (a test's, an operator's) gets the
            # redacted record, not only ours.
            "chatsvc": {"handlers": ["stderr"], "level": level.upper(), "propagate": False, "filters": ["redact"]},
            "uvicorn": {"handlers": ["stderr"], "level": level.upper(), "propagate": False, "filters": ["redact"]},
            "uvicorn.access": {
                "handlers": ["stderr"], "level": level.upper(), "propagate": False, "filters": ["redact"]
            },
            "alembic": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        },
    }


def setup(level: str = "info") -> None:
    """Apply ``configure(level)`` now, so lines logged while the app is built (before uvicorn applies the same
    config), such as a settings warning, already have their time, level and logger name."""
    logging.config.dictConfig(configure(level))
