"""The bot's quick-reply menu, pure: a small tree of buttons, its rules, and the edits the admin page makes.

Each item leads somewhere: a canned ``answer`` (its text), a knowledge-base ``article`` (its id), a routing
``topic`` (the queue of the team that owns it), a ``human`` (the general queue), or a ``menu`` (its children).
Ids are chosen by whoever builds the tree (the admin page makes random ones) and kept across saves, so a button
already shown in an open conversation still means the same item after the menu is edited.

The tree is checked as a whole (``validate``): shape rules such as depth and cycles only make sense there.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Iterable, Sequence

from chatsvc.errors import BadRequest

MAX_DEPTH = 3  # a root button, a sub-menu, a sub-sub-menu: deeper and visitors get lost
MAX_PER_LEVEL = 12  # buttons under one parent: more no longer fit a chat widget
MAX_ITEMS = 200  # the whole tree (house rule 5); 12 + 12x12 already covers every sensible menu
MAX_LABEL = 80  # the column's size
MAX_ANSWER = 4000  # an answer is a chat message: the protocol's limit

ITEM_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}\Z")  # the column is 32 characters; the widget sends it back
TOPIC = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}\Z")  # as for teams' topics (services/admin.py)
ARTICLE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}\Z")  # as the protocol's article references


class Action(str, enum.Enum):
    ANSWER = "answer"
    ARTICLE = "article"
    TOPIC = "topic"
    HUMAN = "human"
    MENU = "menu"


ACTIONS = tuple(action.value for action in Action)


# Why a menu is refused, in English; the pages translate the same reasons with the same parameters
# (``MENU_ERRORS`` in web/i18n.py), so a French admin reads the whole sentence in French.
MESSAGES: dict[str, str] = {
    "label_missing": "Every item needs a label.",
    "label_invalid": "A label must be 1 to {max} characters on one line: {value!r}.",
    "label_fr_invalid": "A French label must be 1 to {max} characters on one line: {value!r}.",
    "id_invalid": "Not a valid item id: {value!r}.",
    "parent_invalid": "Not a valid parent id: {value!r}.",
    "action_invalid": "Choose what each item does: {actions}.",
    "answer_missing": "The item {label!r} answers with a text: write it.",
    "answer_long": "The answer of {label!r} is longer than {max} characters.",
    "article_missing": "The item {label!r} shows an article: choose which.",
    "article_unknown": "The item {label!r} points at an article that does not exist ({value!r}).",
    "topic_invalid": (
        "The topic of {label!r} must be 1 to 40 lower-case letters, digits, '-' or '_', like billing."
    ),
    "payload_unexpected": "A {action!r} item takes no answer, article or topic ({label!r}).",
    "too_many_items": "A menu has at most {max} items.",
    "duplicate_id": "Two items have the id {value!r}.",
    "parent_missing": "The item {label!r} is under an item that does not exist.",
    "own_parent": "The item {label!r} is under itself.",
    "cycle": "The item {label!r} is inside itself (a cycle).",
    "level_full_root": "At most {max} items at the top level.",
    "level_full": "At most {max} items in the sub-menu {label!r}.",
    "too_deep": "The item {label!r} is {depth} levels deep; menus go at most {max} levels deep.",
    "empty_submenu": "The sub-menu {label!r} has no items: add some or change its action.",
    "not_submenu": "Only a sub-menu may have items under it, and {label!r} is not one.",
    "no_item": "No such menu item.",
}


class MenuError(BadRequest):
    """A refused menu: a ``reason`` (a key of ``MESSAGES``) with its parameters, and the item at fault when
    there is one, so an editor can point at it."""

    def __init__(self, reason: str, *, item_id: str | None = None, **params: object) -> None:
        super().__init__(MESSAGES[reason].format(**params))
        self.reason = reason
        self.params = params
        self.item_id = item_id


@dataclasses.dataclass(frozen=True)
class MenuItem:
    id: str
    parent_id: str | None
    position: int
    label: str
    label_fr: str | None
    action: Action
    payload: str | None = None


@dataclasses.dataclass(frozen=True)
class Choice:
    """One button as a visitor sees it: in their language, without the payload."""

    id: str
    label: str
    action: str


def label_for(item: MenuItem, lang: str) -> str:
    """The label in the visitor's language; English when no French label was written."""
    if lang == "fr" and item.label_fr:
        return item.label_fr
    return item.label


class Menu:
    """An index over a list of items: children in order, lookups by id. Builds from any list (also one that
    ``validate`` would refuse, which the admin page re-shows with its error), never raises."""

    def __init__(self, items: Iterable[MenuItem] = ()) -> None:
        self.items: tuple[MenuItem, ...] = tuple(items)
        self._by_id = {item.id: item for item in self.items}
        children: dict[str | None, list[MenuItem]] = {}
        for item in self.items:
            children.setdefault(item.parent_id, []).append(item)
        self._children = {
            parent: sorted(found, key=lambda item: item.position) for parent, found in children.items()
        }

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)

    def get(self, item_id: str) -> MenuItem | None:
        return self._by_id.get(item_id)

    def children_of(self, parent_id: str | None) -> list[MenuItem]:
        return list(self._children.get(parent_id, ()))

    def choices(self, parent_id: str | None, lang: str) -> list[Choice]:
        return [Choice(item.id, label_for(item, lang), item.action.value) for item in self.children_of(parent_id)]

    def depth_of(self, item_id: str) -> int:
        """1 for a root item; counts at most len(items) + 1 steps, so a cycle ends too."""
        depth = 0
        current = self._by_id.get(item_id)
        while current is not None and depth <= len(self.items):
            depth += 1
            current = self._by_id.get(current.parent_id) if current.parent_id is not None else None
        return depth

    def ordered(self) -> list[MenuItem]:
        """Parents before children, siblings in order (depth first): the order to insert or show them in."""
        result: list[MenuItem] = []

        def walk(parent_id: str | None) -> None:
            for item in self.children_of(parent_id):
                result.append(item)
                walk(item.id)

        walk(None)
        return result


# --- checks ----------------------------------------------------------------------------------------------


def _label(value: str, reason: str, item_id: str, *, required: bool) -> str | None:
    value = value.strip()
    if not value:
        if required:
            raise MenuError("label_missing", item_id=item_id)
        return None
    if len(value) > MAX_LABEL or any(ord(c) < 32 or c == "\x7f" for c in value):
        raise MenuError(reason, item_id=item_id, max=MAX_LABEL, value=value[:40])
    return value


def check_item(item: MenuItem) -> MenuItem:
    """One item's own rules (not its place in the tree); returns it tidied (labels and payload stripped)."""
    if not ITEM_ID.match(item.id):
        raise MenuError("id_invalid", value=item.id[:40])
    if item.parent_id is not None and not ITEM_ID.match(item.parent_id):
        raise MenuError("parent_invalid", item_id=item.id, value=item.parent_id[:40])
    label = _label(item.label, "label_invalid", item.id, required=True)
    label_fr = _label(item.label_fr or "", "label_fr_invalid", item.id, required=False)
    assert label is not None
    shown = label[:40]
    payload = (item.payload or "").strip() or None
    action = item.action
    if action is Action.ANSWER:
        if payload is None:
            raise MenuError("answer_missing", item_id=item.id, label=shown)
        if len(payload) > MAX_ANSWER:
            raise MenuError("answer_long", item_id=item.id, label=shown, max=MAX_ANSWER)
    elif action is Action.ARTICLE:
        if payload is None or not ARTICLE_ID.match(payload):
            raise MenuError("article_missing", item_id=item.id, label=shown)
    elif action is Action.TOPIC:
        if payload is None or not TOPIC.match(payload):
            raise MenuError("topic_invalid", item_id=item.id, label=shown)
    elif payload is not None:
        raise MenuError("payload_unexpected", item_id=item.id, label=shown, action=action.value)
    return dataclasses.replace(item, label=label, label_fr=label_fr, payload=payload)


def action_of(value: str, item_id: str | None = None) -> Action:
    try:
        return Action(value)
    except ValueError:
        raise MenuError("action_invalid", item_id=item_id, actions=", ".join(ACTIONS)) from None


def validate(items: Sequence[MenuItem]) -> Menu:
    """The whole tree's rules; returns it tidied, with positions renumbered 0, 1, 2... under each parent
    (in the order given by ``position``, then by the list). Raises ``MenuError`` at the first problem."""
    if len(items) > MAX_ITEMS:
        raise MenuError("too_many_items", max=MAX_ITEMS)
    checked = [check_item(item) for item in items]
    by_id: dict[str, MenuItem] = {}
    for item in checked:
        if item.id in by_id:
            raise MenuError("duplicate_id", item_id=item.id, value=item.id)
        by_id[item.id] = item
    for item in checked:
        if item.parent_id == item.id:
            raise MenuError("own_parent", item_id=item.id, label=item.label[:40])
        if item.parent_id is not None and item.parent_id not in by_id:
            raise MenuError("parent_missing", item_id=item.id, label=item.label[:40])
    # Cycles: from each item, walk up until a root, or until an item seen on this walk.
    for item in checked:
        seen = {item.id}
        current = item
        while current.parent_id is not None:
            current = by_id[current.parent_id]
            if current.id in seen:
                raise MenuError("cycle", item_id=item.id, label=item.label[:40])
            seen.add(current.id)
    siblings: dict[str | None, list[tuple[int, int, MenuItem]]] = {}
    for order, item in enumerate(checked):
        siblings.setdefault(item.parent_id, []).append((item.position, order, item))
    renumbered: list[MenuItem] = []
    for parent_id, group in siblings.items():
        if len(group) > MAX_PER_LEVEL:
            if parent_id is None:
                raise MenuError("level_full_root", max=MAX_PER_LEVEL)
            raise MenuError("level_full", item_id=parent_id, max=MAX_PER_LEVEL, label=by_id[parent_id].label[:40])
        for position, (_pos, _order, item) in enumerate(sorted(group, key=lambda entry: entry[:2])):
            renumbered.append(dataclasses.replace(item, position=position))
    tree = Menu(renumbered)
    for item in checked:
        depth = tree.depth_of(item.id)
        if depth > MAX_DEPTH:
            raise MenuError("too_deep", item_id=item.id, label=item.label[:40], depth=depth, max=MAX_DEPTH)
        has_children = bool(tree.children_of(item.id))
        if item.action is Action.MENU and not has_children:
            raise MenuError("empty_submenu", item_id=item.id, label=item.label[:40])
        if item.action is not Action.MENU and has_children:
            raise MenuError("not_submenu", item_id=item.id, label=item.label[:40])
    return Menu(tree.ordered())


# --- edits (the admin page's buttons and the service's single-item changes) --------------------------------


def _siblings(items: Sequence[MenuItem], parent_id: str | None) -> list[MenuItem]:
    return sorted((item for item in items if item.parent_id == parent_id), key=lambda item: item.position)


def _renumber(items: Sequence[MenuItem], parent_id: str | None, order: Sequence[MenuItem]) -> list[MenuItem]:
    positions = {item.id: position for position, item in enumerate(order)}
    return [
        dataclasses.replace(item, position=positions[item.id]) if item.parent_id == parent_id else item
        for item in items
    ]


def add_item(items: Sequence[MenuItem], item: MenuItem) -> list[MenuItem]:
    """The item appended after its future siblings (its own position is ignored)."""
    last = max((sibling.position for sibling in items if sibling.parent_id == item.parent_id), default=-1)
    return [*items, dataclasses.replace(item, position=last + 1)]


def replace_item(items: Sequence[MenuItem], item: MenuItem) -> list[MenuItem]:
    """The item with this id replaced (its parent and position kept: moving is ``move_item``)."""
    found = next((current for current in items if current.id == item.id), None)
    if found is None:
        raise MenuError("no_item", item_id=item.id)
    updated = dataclasses.replace(item, parent_id=found.parent_id, position=found.position)
    return [updated if current.id == item.id else current for current in items]


def remove_item(items: Sequence[MenuItem], item_id: str) -> list[MenuItem]:
    """The item and everything under it removed."""
    if not any(item.id == item_id for item in items):
        raise MenuError("no_item", item_id=item_id)
    gone = {item_id}
    changed = True
    while changed:
        changed = False
        for item in items:
            if item.parent_id in gone and item.id not in gone:
                gone.add(item.id)
                changed = True
    return [item for item in items if item.id not in gone]


def move_item(items: Sequence[MenuItem], item_id: str, offset: int) -> list[MenuItem]:
    """The item moved ``offset`` places among its siblings (clamped to the ends: up at the top is no change)."""
    found = next((item for item in items if item.id == item_id), None)
    if found is None:
        raise MenuError("no_item", item_id=item_id)
    order = _siblings(items, found.parent_id)
    index = order.index(found)
    target = max(0, min(len(order) - 1, index + offset))
    order.insert(target, order.pop(index))
    return _renumber(items, found.parent_id, order)
