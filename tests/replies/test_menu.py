"""The menu tree's rules and edits, pure: no server, no database."""

from __future__ import annotations

import dataclasses

import pytest

from chatsvc.domain import menu
from chatsvc.domain.menu import Action, Menu, MenuError, MenuItem


def item(
    item_id: str, parent: str | None = None, action: str = "human", payload: str | None = None, *,
    label: str | None = None, label_fr: str | None = None, position: int = 0,
) -> MenuItem:
    return MenuItem(item_id, parent, position, label or item_id.title(), label_fr, Action(action), payload)


def sample() -> list[MenuItem]:
    """Billing (a sub-menu with an answer and a sub-sub-menu), Technical problem (a topic), Talk to a person."""
    return [
        item("billing", None, "menu", label="Billing", label_fr="Facturation", position=0),
        item("invoice", "billing", "answer", "Invoices are under Account > Invoices.", position=0),
        item("refunds", "billing", "menu", position=1),
        item("refund-policy", "refunds", "article", "frA-001", position=0),
        item("refund-person", "refunds", "topic", "billing", position=1),
        item("tech", None, "topic", "technical", label="Technical problem", position=1),
        item("person", None, "human", label="Talk to a person", label_fr="Parler à un conseiller", position=2),
    ]


def test_a_valid_tree_with_sub_menus() -> None:
    tree = menu.validate(sample())
    assert [i.id for i in tree.children_of(None)] == ["billing", "tech", "person"]
    assert [i.id for i in tree.children_of("billing")] == ["invoice", "refunds"]
    assert [i.id for i in tree.children_of("refunds")] == ["refund-policy", "refund-person"]
    assert tree.children_of("invoice") == [] and tree.children_of("nothing") == []
    assert tree.depth_of("billing") == 1 and tree.depth_of("refund-person") == 3
    # Parents before children, siblings in order: the order to store and show them in.
    assert [i.id for i in tree.items] == [
        "billing", "invoice", "refunds", "refund-policy", "refund-person", "tech", "person",
    ]
    refund = tree.get("refund-person")
    assert refund is not None and refund.action is Action.TOPIC and refund.payload == "billing"


def test_labels_in_the_visitors_language() -> None:
    tree = menu.validate(sample())
    billing, person = tree.get("billing"), tree.get("tech")
    assert billing is not None and person is not None
    assert menu.label_for(billing, "fr") == "Facturation"
    assert menu.label_for(billing, "en") == "Billing"
    assert menu.label_for(person, "fr") == "Technical problem"  # no French label: the English one
    assert [(c.id, c.label, c.action) for c in tree.choices(None, "fr")] == [
        ("billing", "Facturation", "menu"), ("tech", "Technical problem", "topic"),
        ("person", "Parler à un conseiller", "human"),
    ]


def test_positions_follow_position_then_list_order_and_are_renumbered() -> None:
    items = [
        item("c", position=7), item("a", position=2), item("b", position=2),
    ]
    tree = menu.validate(items)
    assert [(i.id, i.position) for i in tree.children_of(None)] == [("a", 0), ("b", 1), ("c", 2)]


def test_labels_and_payloads_are_tidied() -> None:
    tree = menu.validate([
        item("a", None, "answer", "  Hello there \n", label="  Hello ", label_fr="  "),
    ])
    only = tree.get("a")
    assert only is not None
    assert (only.label, only.label_fr, only.payload) == ("Hello", None, "Hello there")


@pytest.mark.parametrize(
    ("items", "message", "at"),
    [
        ([item("a", label=" ")], "needs a label", "a"),
        ([item("a", label="x" * 81)], "1 to 80 characters", "a"),
        ([item("a", label="two\nlines")], "on one line", "a"),
        ([item("a", label_fr="y" * 81)], "French label", "a"),
        ([item("a", None, "answer")], "answers with a text", "a"),
        ([item("a", None, "answer", "x" * 4001)], "longer than 4000", "a"),
        ([item("a", None, "article")], "choose which", "a"),
        ([item("a", None, "article", "no spaces allowed")], "choose which", "a"),
        ([item("a", None, "topic")], "topic", "a"),
        ([item("a", None, "topic", "Billing")], "lower-case", "a"),
        ([item("a", None, "topic", "bill ing")], "lower-case", "a"),
        ([item("a", None, "topic", "x" * 41)], "lower-case", "a"),
        ([item("a", None, "topic", "-billing")], "lower-case", "a"),
        ([item("a", None, "human", "something")], "takes no", "a"),
        ([item("m", None, "menu", "text"), item("c", "m")], "takes no", "m"),
        ([item("m", None, "menu")], "has no items", "m"),
        ([item("a"), item("b", "a")], "Only a sub-menu", "a"),
        ([item("a"), item("a")], "Two items have the id", "a"),
        ([item("a", "ghost")], "does not exist", "a"),
        ([item("a", "a", "menu")], "under itself", "a"),
        ([item("a", "b", "menu"), item("b", "a", "menu")], "cycle", "a"),
        ([item("r", None, "menu"), item("a", "c", "menu"), item("b", "a", "menu"), item("c", "b", "menu"),
          item("d", "r")], "cycle", "a"),
        ([item("bad id!")], "valid item id", None),
        ([item("x" * 33)], "valid item id", None),
    ],
)
def test_refused_trees(items: list[MenuItem], message: str, at: str | None) -> None:
    with pytest.raises(MenuError) as refused:
        menu.validate(items)
    assert message in refused.value.message
    assert refused.value.item_id == at
    assert refused.value.code == "bad_request" and refused.value.status == 400


def test_depth_is_at_most_three() -> None:
    three = [item("a", None, "menu"), item("b", "a", "menu"), item("c", "b")]
    assert menu.validate(three).depth_of("c") == 3
    with pytest.raises(MenuError, match="levels deep") as refused:
        menu.validate([*three[:2], item("c", "b", "menu"), item("d", "c")])
    assert refused.value.item_id == "d"


def test_at_most_twelve_per_level() -> None:
    twelve = [item(f"i{n}") for n in range(12)]
    assert len(menu.validate(twelve)) == 12
    with pytest.raises(MenuError, match="At most 12 items at the top level"):
        menu.validate([*twelve, item("i12")])
    under = [item("m", None, "menu", label="More"), *(item(f"c{n}", "m") for n in range(13))]
    with pytest.raises(MenuError, match="in the sub-menu 'More'") as refused:
        menu.validate(under)
    assert refused.value.item_id == "m"


def test_the_whole_tree_is_bounded() -> None:
    with pytest.raises(MenuError, match="at most 200 items"):
        menu.validate([item(f"i{n}") for n in range(201)])


def test_an_empty_menu_is_valid() -> None:
    tree = menu.validate([])
    assert not tree and tree.children_of(None) == [] and tree.choices(None, "en") == []


def test_an_invalid_list_still_indexes_without_raising() -> None:
    # The admin page re-shows a refused tree: indexing it must not fail or loop.
    broken = Menu([item("a", "b", "menu"), item("b", "a", "menu"), item("r")])
    assert [i.id for i in broken.ordered()] == ["r"]
    assert broken.depth_of("a") <= 4  # a cycle stops the walk up after len(items) + 1 steps


def test_edits() -> None:
    items = sample()
    added = menu.add_item(items, item("faq", "billing", "answer", "See the FAQ.", position=99))
    tree = menu.validate(added)
    assert [i.id for i in tree.children_of("billing")] == ["invoice", "refunds", "faq"]

    moved = menu.validate(menu.move_item(added, "faq", -1))
    assert [i.id for i in moved.children_of("billing")] == ["invoice", "faq", "refunds"]
    top = menu.validate(menu.move_item(list(moved.items), "faq", -10))  # clamped
    assert [i.id for i in top.children_of("billing")] == ["faq", "invoice", "refunds"]
    same = menu.validate(menu.move_item(list(top.items), "faq", -1))
    assert [i.id for i in same.children_of("billing")] == ["faq", "invoice", "refunds"]

    renamed = menu.replace_item(list(top.items), dataclasses.replace(item("faq", None, "human"), label="Help"))
    faq = menu.validate(renamed).get("faq")
    assert faq is not None and faq.parent_id == "billing" and faq.label == "Help" and faq.action is Action.HUMAN

    removed = menu.validate(menu.remove_item(list(top.items), "refunds"))
    assert removed.get("refunds") is None and removed.get("refund-policy") is None
    assert removed.get("refund-person") is None and len(removed) == len(top) - 3

    for edit in (
        lambda: menu.remove_item(items, "ghost"),
        lambda: menu.move_item(items, "ghost", 1),
        lambda: menu.replace_item(items, item("ghost")),
    ):
        with pytest.raises(MenuError, match="No such menu item"):
            edit()
