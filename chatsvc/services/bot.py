"""The bot's turns in a conversation: the knowledge base and the quick-reply menu answer before a person.

It turns the pure decisions of ``domain/bot.py`` (and the matcher's ranking) into events stored with the
conversation: the visitor sees the bot's reply, agents later see what the visitor already read, and managers can
study what the bot missed (each bot event keeps the query, the candidates and their scores).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol

from chatsvc.domain import bot as policy
from chatsvc.domain import protocol
from chatsvc.domain.matching import KbIndex, Thresholds
from chatsvc.store.conversations import NewEvent

BOT_NAME = {"en": "Assistant", "fr": "Assistant"}


class KnowledgeSource(Protocol):
    thresholds: Thresholds
    index: KbIndex  # the published articles the matcher searches

    def decide(self, text: str) -> Any: ...

    def article(self, article_id: str) -> Any: ...


class MenuSource(Protocol):
    def has_menu(self) -> bool: ...

    def menu_for(self, parent_id: str | None, lang: str) -> list[Any]: ...

    def item(self, item_id: str) -> Any: ...

    def label(self, item: Any, lang: str) -> str: ...


@dataclasses.dataclass(frozen=True)
class Turn:
    """The bot's reply as an event, plus what it means for the conversation."""

    event: NewEvent
    reply: policy.Reply
    choice_label: str | None = None  # the button the visitor pressed, as they saw it


class Bot:
    def __init__(self, knowledge: KnowledgeSource, menu: MenuSource) -> None:
        self.knowledge = knowledge
        self.menu = menu

    def enabled(self) -> bool:
        """With no published article and no menu, the bot has nothing to offer: chats go straight to a person."""
        return len(self.knowledge.index) > 0 or self.menu.has_menu()

    def root_menu(self, lang: str) -> list[protocol.MenuItem]:
        return [protocol.MenuItem(id=i.id, label=i.label, action=i.action) for i in self.menu.menu_for(None, lang)]

    # --- turns -------------------------------------------------------------------------------------

    def answer_question(self, text: str, lang: str) -> Turn:
        decision = self.knowledge.decide(text)
        offered = [c.article_id for c in decision.offered]
        floor = self.knowledge.thresholds.suggest
        remaining = [c.article_id for c in decision.ranked if c.article_id not in offered and c.confidence >= floor]
        reply = policy.reply_to_question(decision.action, offered, remaining)
        record = {
            "query": text,
            "action": decision.action,
            "candidates": [
                {"id": c.article_id, "confidence": round(c.confidence, 4), "score": round(c.score, 4)}
                for c in decision.ranked[:10]
            ],
        }
        return self._turn(reply, lang, decision=record)

    def answer_feedback(self, helpful: bool, last: policy.Offer | None, lang: str) -> Turn:
        offerable = [a for a in (last.remaining if last else ()) if self.knowledge.article(a) is not None]
        return self._turn(policy.reply_to_feedback(helpful, last, offerable), lang)

    def answer_choice(self, article_id: str, lang: str) -> Turn | None:
        if self.knowledge.article(article_id) is None:
            return None
        return self._turn(policy.reply_to_choice(article_id), lang)

    def answer_menu(self, item_id: str, lang: str) -> Turn | None:
        item = self.menu.item(item_id)
        if item is None:
            return None
        label = self.menu.label(item, lang)
        return dataclasses.replace(self._menu_turn(item, lang), choice_label=label)

    def _menu_turn(self, item: Any, lang: str) -> Turn:
        if item.action == "menu":
            children = [
                protocol.MenuItem(id=i.id, label=i.label, action=i.action) for i in self.menu.menu_for(item.id, lang)
            ]
            reply = policy.Reply(policy.Move.MENU, "menu")
            return self._turn(reply, lang, menu=children)
        if item.action == "answer":
            reply = policy.Reply(policy.Move.CANNED, "canned", ask_feedback=True)
            return self._turn(reply, lang, canned=str(item.payload or ""))
        if item.action == "article" and self.knowledge.article(str(item.payload)) is not None:
            return self._turn(policy.reply_to_choice(str(item.payload)), lang)
        topic = str(item.payload) if item.action == "topic" and item.payload else None
        reply = policy.Reply(policy.Move.HANDOFF, "handoff.menu", topic=topic, reason="menu")
        return self._turn(reply, lang)

    # --- events ------------------------------------------------------------------------------------

    def _turn(
        self,
        reply: policy.Reply,
        lang: str,
        *,
        decision: dict[str, Any] | None = None,
        menu: list[protocol.MenuItem] | None = None,
        canned: str | None = None,
    ) -> Turn:
        data = reply.data()
        articles = [self._article_card(a, full=reply.move is policy.Move.ANSWER) for a in reply.shown]
        if articles:
            data["articles"] = [a for a in articles if a is not None]
        if menu is not None:
            data["menu"] = [{"id": m.id, "label": m.label, "action": m.action} for m in menu]
        if canned is not None:
            data["canned"] = _rendered(canned)
        if decision is not None:
            data["decision"] = decision
        if reply.topic:
            data["topic"] = reply.topic
        body = policy.text(reply.text_key, lang)
        event = NewEvent(
            kind="bot", author_role="bot", author_id=None, author_name=BOT_NAME.get(lang, "Assistant"),
            body=body, data=data,
        )
        return Turn(event=event, reply=reply)

    def _article_card(self, article_id: str, *, full: bool) -> dict[str, Any] | None:
        article = self.knowledge.article(article_id)
        if article is None:
            return None
        card: dict[str, Any] = {"id": article.id, "title": article.title}
        if full:
            card.update(_rendered(article.body))
        return card


def _rendered(markdown_text: str) -> dict[str, str]:
    """Sanitized HTML for the widget's card, plain text for anything that shows text only."""
    from chatsvc.domain import markdown

    return {"html": markdown.render_html(markdown_text), "text": markdown.render_text(markdown_text)}
