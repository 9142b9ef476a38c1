"""SECURITY case 3, in the log set-up itself: credentials in query strings and status-page paths never reach a
log line, whichever handler writes it."""

from __future__ import annotations

import logging

import pytest

from chatsvc.logs import RedactSecrets, redact


@pytest.mark.parametrize(
    "line, secret",
    [
        ('"GET /ws/visitor?site=shop&token=abc.def.ghi HTTP/1.1" 101', "abc.def.ghi"),
        ('"POST /login?password=hunter2 HTTP/1.1" 400', "hunter2"),
        ('"GET /ticket-status/eyJ0aWNrZXQiOiJhYmMifQ.sig HTTP/1.1" 200', "eyJ0aWNrZXQiOiJhYmMifQ.sig"),
        ('"POST /ticket-status/tok3n?lang=fr HTTP/1.1" 303', "tok3n"),
    ],
)
def test_secrets_are_redacted(line: str, secret: str) -> None:
    cleaned = redact(line)
    assert secret not in cleaned and "[redacted]" in cleaned


def test_the_filter_rewrites_the_record_for_every_handler() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/ticket-status/s3cr3t-link", "1.1", 200), None,
    )
    assert RedactSecrets().filter(record)
    assert "s3cr3t-link" not in record.getMessage()
    assert "/ticket-status/[redacted]" in record.getMessage()
