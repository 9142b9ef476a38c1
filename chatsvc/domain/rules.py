"""Ticket assignment rules and keyword escalation: which team, agent and priority a new ticket gets.

Pure: no I/O. Rules are evaluated in their admin-given order and the first that matches applies; escalation
words then raise the priority (never lower it) and flag the ticket for a person to look at.

Words match whole, ignoring case and accents: "REMBOURSER" and "rembourser" match "Rembourser", "remboursé"
does not ("rembourse" is another word), nor does "fraudulent" match "fraud". A phrase ("legal action")
matches the same words in a row.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from chatsvc.domain.tickets import Priority
from chatsvc.errors import BadRequest

MAX_RULE_NAME = 120  # the ticket_rules.name column
MAX_RULE_KEYWORDS = 50
MAX_ESCALATION_WORDS = 200
MAX_WORD_LENGTH = 60  # a keyword or phrase, in characters

_NON_WORD = re.compile(r"\W+", re.UNICODE)

Phrase = tuple[str, ...]  # a keyword as normalised tokens


def words_of(text: str) -> tuple[str, ...]:
    """The normalised tokens of a text: case-folded, accents dropped (NFKD minus combining marks)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(char for char in decomposed if not unicodedata.combining(char))
    return tuple(token for token in _NON_WORD.split(folded) if token)


def _phrases(keywords: Sequence[str]) -> tuple[tuple[str, Phrase], ...]:
    # A keyword with no letter or digit ("!!!") has no tokens and can never match: it is left out here and
    # refused by the validators.
    return tuple((keyword, phrase) for keyword in keywords if (phrase := words_of(keyword)))


class _Text:
    """A text tokenised once, with each token's positions, so every phrase is a dictionary look-up."""

    def __init__(self, text: str) -> None:
        self.tokens = words_of(text)
        self.positions: dict[str, list[int]] = {}
        for index, token in enumerate(self.tokens):
            self.positions.setdefault(token, []).append(index)

    def contains(self, phrase: Phrase) -> bool:
        length = len(phrase)
        return any(
            self.tokens[start : start + length] == phrase for start in self.positions.get(phrase[0], ())
        )


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    enabled: bool
    keywords: tuple[str, ...]  # any one of them in the text (none: no keyword condition)
    topic: str | None  # the ticket's topic must equal it
    site_id: str | None  # the ticket's site must equal it
    # What the rule sets; None leaves it as it was.
    team_id: str | None
    agent_id: str | None
    priority: Priority | None
    _phrases: tuple[tuple[str, Phrase], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_phrases", _phrases(self.keywords))

    def matches(self, facts: TicketFacts, text: _Text | None = None) -> bool:
        """Enabled and every condition it has holds; a rule without conditions matches every ticket."""
        if not self.enabled:
            return False
        if self.topic is not None and self.topic != facts.topic:
            return False
        if self.site_id is not None and self.site_id != facts.site_id:
            return False
        if self.keywords:
            text = text or _Text(facts.text)
            return any(text.contains(phrase) for _, phrase in self._phrases)
        return True


@dataclass(frozen=True)
class TicketFacts:
    """What rules look at."""

    text: str  # subject + question
    topic: str | None
    site_id: str


@dataclass(frozen=True)
class Routing:
    """The outcome for a new ticket, with the reasons (kept in the ticket's details)."""

    team_id: str | None
    agent_id: str | None
    priority: Priority
    rule_id: str | None  # the rule that applied, if any
    flagged: bool  # an escalation word was found
    matched_words: tuple[str, ...]  # those escalation words, as configured


@dataclass(frozen=True)
class Escalation:
    words: tuple[str, ...]
    priority: Priority  # a ticket with one of the words gets at least this
    _phrases: tuple[tuple[str, Phrase], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_phrases", _phrases(self.words))

    @classmethod
    def parse(cls, value: object) -> Escalation:
        """From JSON: {"words": ["refund", "legal action"], "priority": "urgent"}."""
        if not isinstance(value, dict):
            raise BadRequest("The escalation settings must be an object.")
        unknown = sorted(str(key) for key in value if key not in ("words", "priority"))
        if unknown:
            raise BadRequest(f"Unknown field in the escalation settings: {', '.join(unknown)}.")
        words = value.get("words")
        if not isinstance(words, list):
            raise BadRequest('"words" must be a list of words or phrases.')
        if len(words) > MAX_ESCALATION_WORDS:
            raise BadRequest(f"At most {MAX_ESCALATION_WORDS} escalation words are allowed.")
        priority = _parse_priority(value.get("priority"))
        if priority is None:
            raise BadRequest('"priority" is required: low, normal, high or urgent.')
        return cls(words=_clean_words(words, "escalation word"), priority=priority)

    def to_json(self) -> dict[str, object]:
        return {"words": list(self.words), "priority": self.priority.value}

    def found_in(self, text: _Text) -> tuple[str, ...]:
        return tuple(word for word, phrase in self._phrases if text.contains(phrase))


DEFAULT_ESCALATION = Escalation(
    words=(
        "rembourser", "remboursement", "avocat", "plainte", "urgent", "fraud", "fraude", "lawyer", "refund",
        "chargeback", "legal action",
    ),
    priority=Priority.URGENT,
)


def route(
    rules: Sequence[Rule],
    facts: TicketFacts,
    escalation: Escalation,
    base_priority: Priority = Priority.NORMAL,
) -> Routing:
    """The first matching rule sets team, agent and priority (those it has); escalation words raise it."""
    text = _Text(facts.text)
    team_id = agent_id = rule_id = None
    priority = base_priority
    for rule in rules:
        if rule.matches(facts, text):
            team_id, agent_id, rule_id = rule.team_id, rule.agent_id, rule.id
            priority = rule.priority or base_priority
            break
    matched = escalation.found_in(text)
    if matched:
        priority = priority.at_least(escalation.priority)
    return Routing(
        team_id=team_id, agent_id=agent_id, priority=priority, rule_id=rule_id, flagged=bool(matched),
        matched_words=matched,
    )


def validate_rule_fields(
    name: object, keywords: object, priority: object
) -> tuple[str, tuple[str, ...], Priority | None]:
    """Check an admin's rule fields; returns them cleaned (trimmed, keywords deduplicated)."""
    if not isinstance(name, str) or not name.strip():
        raise BadRequest("The rule needs a name.")
    if len(name.strip()) > MAX_RULE_NAME:
        raise BadRequest(f"The rule name is longer than {MAX_RULE_NAME} characters.")
    if not isinstance(keywords, list | tuple):
        raise BadRequest("The keywords must be a list.")
    if len(keywords) > MAX_RULE_KEYWORDS:
        raise BadRequest(f"At most {MAX_RULE_KEYWORDS} keywords are allowed in a rule.")
    return name.strip(), _clean_words(keywords, "keyword"), _parse_priority(priority)


def _parse_priority(value: object) -> Priority | None:
    if value is None or value == "":
        return None
    if isinstance(value, Priority):
        return value
    try:
        return Priority(value)
    except (ValueError, TypeError):  # TypeError: an unhashable value such as a list
        raise BadRequest(f"Unknown priority {value!r}: use low, normal, high or urgent.") from None


def _clean_words(values: Sequence[object], what: str) -> tuple[str, ...]:
    cleaned: list[str] = []
    seen: set[Phrase] = set()
    for value in values:
        if not isinstance(value, str) or not value.strip():
            raise BadRequest(f"Each {what} must be non-empty text.")
        word = value.strip()
        if len(word) > MAX_WORD_LENGTH:
            raise BadRequest(f"The {what} {word[:20]!r}... is longer than {MAX_WORD_LENGTH} characters.")
        if any(unicodedata.category(char) == "Cc" for char in word):
            raise BadRequest(f"The {what} {word!r} contains a control character.")
        phrase = words_of(word)
        if not phrase:
            raise BadRequest(f"The {what} {word!r} has no letter or digit to match.")
        if phrase not in seen:  # "Refund" after "refund" would only match twice
            seen.add(phrase)
            cleaned.append(word)
    return tuple(cleaned)
