"""Identifiers: unguessable, URL-safe, and digests that hide the secret they stand for."""

from __future__ import annotations

import hashlib
import re

from chatsvc.domain.ids import digest, new_id, new_secret

URL_SAFE = re.compile(r"\A[A-Za-z0-9_-]+\Z")


def test_new_id_is_22_url_safe_characters_of_128_bits() -> None:
    value = new_id()
    assert len(value) == 22 and URL_SAFE.match(value)
    # Fits every id column (String(32)) and the protocol's ConversationId pattern.
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", value)


def test_new_secret_is_43_url_safe_characters_of_256_bits() -> None:
    value = new_secret()
    assert len(value) == 43 and URL_SAFE.match(value)


def test_ids_and_secrets_do_not_repeat() -> None:
    assert len({new_id() for _ in range(10_000)}) == 10_000
    assert len({new_secret() for _ in range(1_000)}) == 1_000


def test_digest_is_sha256_hex_and_not_the_secret() -> None:
    secret = new_secret()
    assert digest(secret) == hashlib.sha256(secret.encode()).hexdigest()
    assert len(digest(secret)) == 64 and secret not in digest(secret)
    assert digest(secret) == digest(secret) != digest(secret + "x")


def test_no_id_starts_with_a_dash() -> None:
    """One in 64 random ids would, and an export would then have to alter it (a spreadsheet reads ``-abc`` as a
    formula) and a command line read it as an option: the CSV of the manager's agents once failed that way."""
    starts = {new_id()[0] for _ in range(5_000)}
    assert "-" not in starts
    assert len(starts) > 40  # still spread over the alphabet
