"""The bot's side of a conversation, pure: what it says after a question, a choice, a button or a Yes/No.

The matcher (``domain/matching``) decides *what* the knowledge base offers; this module decides *how the
conversation goes on*: an answer card asks "Did this solve it?"; Yes resolves the chat (deflected), No shows the
next suggestions or, when none are left, brings a person; asking for a person always goes to the queue at once.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence
from typing import Any

MAX_SUGGESTIONS = 3


class Move(str, enum.Enum):
    ANSWER = "answer"  # one article, with "Did this solve it?"
    SUGGEST = "suggest"  # up to three articles to choose from
    NO_ANSWER = "no_answer"  # nothing good enough: say so and offer a person
    CANNED = "canned"  # a predefined answer from the menu, with "Did this solve it?"
    MENU = "menu"  # a (sub-)menu of quick replies
    HANDOFF = "handoff"  # to the queue: the visitor asked for a person, or nothing else is left
    RESOLVED = "resolved"  # the visitor said it solved it: deflected


@dataclasses.dataclass(frozen=True)
class Offer:
    """What the bot put in front of the visitor last, as stored in its event: what Yes/No refers to."""

    move: Move
    shown: tuple[str, ...] = ()  # article ids shown (the answer, or the suggestions)
    remaining: tuple[str, ...] = ()  # ranked candidates not shown yet (for "No")

    @classmethod
    def from_data(cls, data: dict[str, Any] | None) -> Offer | None:
        if not data or "move" not in data:
            return None
        try:
            move = Move(data["move"])
        except ValueError:
            return None
        return cls(move, tuple(data.get("shown") or ()), tuple(data.get("remaining") or ()))


@dataclasses.dataclass(frozen=True)
class Reply:
    """The bot's next turn. ``text_key`` names a sentence in ``TEXTS``; articles are looked up by the caller."""

    move: Move
    text_key: str
    shown: tuple[str, ...] = ()
    remaining: tuple[str, ...] = ()
    ask_feedback: bool = False
    topic: str | None = None  # with HANDOFF from a menu button: the queue of that topic's team
    reason: str | None = None  # why a HANDOFF happened (asked, declined, menu)

    def data(self) -> dict[str, Any]:
        """What is stored in the bot's event (and read back by ``Offer.from_data``)."""
        data: dict[str, Any] = {"move": self.move.value, "ask_feedback": self.ask_feedback}
        if self.shown:
            data["shown"] = list(self.shown)
        if self.remaining:
            data["remaining"] = list(self.remaining)
        if self.reason:
            data["reason"] = self.reason
        return data


def reply_to_question(action: str, offered: Sequence[str], remaining: Sequence[str] = ()) -> Reply:
    """The turn after a typed question, from the matcher's action ("answer", "suggest", "no_answer", "human"),
    the articles it offers, and the other good-enough candidates (kept for a "No")."""
    offered, remaining = tuple(offered), tuple(remaining)
    if action == "human":
        return Reply(Move.HANDOFF, "handoff.asked", reason="asked")
    if action == "answer" and offered:
        return Reply(Move.ANSWER, "answer", shown=offered[:1], remaining=offered[1:] + remaining, ask_feedback=True)
    if action == "suggest" and offered:
        shown = offered[:MAX_SUGGESTIONS]
        return Reply(Move.SUGGEST, "suggest", shown=shown, remaining=offered[len(shown):] + remaining,
                     ask_feedback=True)
    return Reply(Move.NO_ANSWER, "no_answer")


def reply_to_feedback(helpful: bool, last: Offer | None, still_offerable: Sequence[str] = ()) -> Reply:
    """Yes resolves; No shows what is left of the ranked candidates (those still offerable), else a person."""
    if last is None or last.move not in (Move.ANSWER, Move.SUGGEST, Move.CANNED):
        raise ValueError("nothing was offered that feedback could refer to")
    if helpful:
        return Reply(Move.RESOLVED, "resolved")
    if last.move is Move.ANSWER:
        left = tuple(a for a in last.remaining if a in set(still_offerable))[:MAX_SUGGESTIONS]
        if left:
            return Reply(Move.SUGGEST, "suggest.more", shown=left, ask_feedback=True)
    return Reply(Move.HANDOFF, "handoff.declined", reason="declined")


def reply_to_choice(article_id: str) -> Reply:
    """The visitor opened one of the suggestions."""
    return Reply(Move.ANSWER, "answer", shown=(article_id,), ask_feedback=True)


TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "answer": "This article may answer your question. Did this solve it?",
        "suggest": "These articles may help. Pick one, or talk to a person.",
        "suggest.more": "Sorry about that. Perhaps one of these?",
        "no_answer": "I don't have an answer to that. You can rephrase your question, or talk to a person.",
        "canned": "Did this solve it?",
        "menu": "What can we help you with?",
        "handoff.asked": "Of course, I'm bringing in a person.",
        "handoff.declined": "Let me bring in a person who can help.",
        "handoff.menu": "I'm bringing in a person who can help with that.",
        "resolved": "Glad it helped! Would you rate this conversation?",
    },
    "fr": {
        "answer": "Cet article répond peut-être à votre question. Est-ce que cela a résolu votre problème ?",
        "suggest": "Ces articles peuvent vous aider. Choisissez-en un, ou parlez à un conseiller.",
        "suggest.more": "Désolé. Peut-être l'un de ceux-ci ?",
        "no_answer": "Je n'ai pas de réponse à cela. Vous pouvez reformuler, ou parler à un conseiller.",
        "canned": "Est-ce que cela a résolu votre problème ?",
        "menu": "Comment pouvons-nous vous aider ?",
        "handoff.asked": "Bien sûr, je vous mets en relation avec un conseiller.",
        "handoff.declined": "Je vous mets en relation avec un conseiller qui pourra vous aider.",
        "handoff.menu": "Je vous mets en relation avec un conseiller pour cela.",
        "resolved": "Ravi d'avoir pu aider ! Voulez-vous noter cette conversation ?",
    },
}


def text(key: str, lang: str) -> str:
    table = TEXTS.get(lang) or TEXTS["en"]
    return table.get(key) or TEXTS["en"][key]
