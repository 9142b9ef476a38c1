"""The wire protocol's strictness: anything that is not exactly a known frame is refused before any rule runs."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from chatsvc.domain import protocol as p

DECODERS = {"visitor": p.decode_visitor, "agent": p.decode_agent}

# A valid frame of every client type, per side; each test below breaks one thing about one of them.
VISITOR_FRAMES: list[dict[str, Any]] = [
    {"type": "hello", "token": "t0k3n", "v": 1, "conversation": "conv_1", "last_seq": 3, "lang": "fr"},
    {"type": "message", "client_id": "c-1", "text": "hello", "topic": "billing"},
    {"type": "typing", "active": True},
    {"type": "handoff", "topic": "sales"},
    {"type": "close"},
    {"type": "feedback", "helpful": False},
    {"type": "choose", "article": "frA-001"},
    {"type": "menu", "item": "billing"},
    {"type": "identify", "name": "Vera Lamb", "email": "vera@example.com"},
    {"type": "rate", "conversation": "conv_1", "csat": 5, "comment": "Quick and kind", "nps": 10, "ces": 1},
    {"type": "page", "url": "https://shop.example/a?b=1#c", "title": "Shop", "timezone": "Europe/Paris",
     "language": "fr-FR"},
    {"type": "read", "conversation": "conv_1", "seq": 4},
    {"type": "sync", "conversation": "conv_1", "after_seq": 0},
]
AGENT_FRAMES: list[dict[str, Any]] = [
    {"type": "hello", "v": 1, "status": "away"},
    {"type": "status", "status": "online"},
    {"type": "message", "conversation": "conv_1", "client_id": "c-1", "text": "hi"},
    {"type": "note", "conversation": "conv_1", "client_id": "n-1", "text": "VIP, be nice"},
    {"type": "typing", "conversation": "conv_1", "active": False},
    {"type": "close", "conversation": "conv_1"},
    {"type": "pick", "conversation": "conv_1"},
    {"type": "transfer", "conversation": "conv_1", "to_agent": "agent-2", "note": "VIP"},
    {"type": "sync", "conversation": "conv_1", "after_seq": 7},
]


def raw(value: Any) -> bytes:
    return json.dumps(value).encode()


def fields_of(frame: msgspec.Struct) -> dict[str, Any]:
    """Every field (defaults included, which encoding would omit) plus the tag."""
    return {"type": type(frame).__struct_config__.tag, **msgspec.structs.asdict(frame)}


def refused(decode: Any, data: bytes | str) -> msgspec.ValidationError:
    with pytest.raises(msgspec.ValidationError) as info:
        decode(data)
    return info.value


# --- the happy path, so the refusals below are refusals of one broken thing -----------------------


@pytest.mark.parametrize("frame", VISITOR_FRAMES, ids=lambda f: f["type"])
def test_every_visitor_frame_decodes_and_keeps_its_fields(frame: dict[str, Any]) -> None:
    decoded = p.decode_visitor(raw(frame))
    assert fields_of(decoded) == frame
    assert frame["type"] in p.VISITOR_FRAME_TYPES


@pytest.mark.parametrize("frame", AGENT_FRAMES, ids=lambda f: f["type"])
def test_every_agent_frame_decodes_and_keeps_its_fields(frame: dict[str, Any]) -> None:
    decoded = p.decode_agent(raw(frame))
    assert fields_of(decoded) == frame
    assert frame["type"] in p.AGENT_FRAME_TYPES


def test_frame_type_sets_list_exactly_the_decodable_types() -> None:
    assert {f["type"] for f in VISITOR_FRAMES} == p.VISITOR_FRAME_TYPES
    assert {f["type"] for f in AGENT_FRAMES} == p.AGENT_FRAME_TYPES


def test_defaults_fill_optional_fields() -> None:
    hello = p.decode_visitor(b'{"type":"hello","token":"t"}')
    assert hello == p.VisitorHello(token="t", v=p.PROTOCOL_VERSION, conversation=None, last_seq=0)
    assert p.decode_agent(b'{"type":"hello"}') == p.AgentHello(v=1, status=None)
    assert p.decode_visitor(b'{"type":"sync","conversation":"c"}') == p.Sync(conversation="c", after_seq=0)


# --- unknown types and fields ---------------------------------------------------------------------


@pytest.mark.parametrize("side", sorted(DECODERS))
@pytest.mark.parametrize("kind", ["nope", "HELLO", "Hello", "", "welcome", "ack", "event", "error", "hello "])
def test_unknown_type_is_refused(side: str, kind: str) -> None:
    error = refused(DECODERS[side], raw({"type": kind, "token": "t", "conversation": "c"}))
    assert "$.type" in str(error)


@pytest.mark.parametrize("side", sorted(DECODERS))
def test_missing_or_non_string_type_is_refused(side: str) -> None:
    for frame in ({"token": "t"}, {"type": None, "token": "t"}, {"type": 1}, {"type": ["hello"]}):
        refused(DECODERS[side], raw(frame))


def test_agent_only_types_are_not_visitor_frames() -> None:
    for frame in AGENT_FRAMES:
        if frame["type"] not in p.VISITOR_FRAME_TYPES:
            refused(p.decode_visitor, raw(frame))
    assert p.AGENT_FRAME_TYPES - p.VISITOR_FRAME_TYPES == {"status", "pick", "transfer", "note"}


@pytest.mark.parametrize("frame", VISITOR_FRAMES, ids=lambda f: f["type"])
@pytest.mark.parametrize("extra", ["sender", "author", "role", "site_id", "agent_id", "seq", "__proto__"])
def test_unknown_field_is_refused_on_visitor_frames(frame: dict[str, Any], extra: str) -> None:
    error = refused(p.decode_visitor, raw({**frame, extra: "agent"}))
    assert extra in str(error)


@pytest.mark.parametrize("frame", AGENT_FRAMES, ids=lambda f: f["type"])
def test_unknown_field_is_refused_on_agent_frames(frame: dict[str, Any]) -> None:
    refused(p.decode_agent, raw({**frame, "agent_id": "someone-else"}))


def test_a_visitor_cannot_claim_to_be_an_agent() -> None:
    # SECURITY.md 8: the author comes from the session; a payload naming one is refused, not ignored.
    refused(p.decode_visitor, raw({"type": "message", "client_id": "a", "text": "hi", "sender": "agent"}))
    # ...and fields of the agent's message frame are unknown to the visitor's.
    refused(p.decode_visitor, raw({"type": "message", "client_id": "a", "text": "hi", "conversation": "c"}))


# --- wrong types where a string is expected (SECURITY.md 12) ---------------------------------------

INJECTIONS: list[Any] = [{"$regex": "^a"}, {"$ne": None}, [1], True, False, 0, 1.5, None, ["a"], {}]

# (side, a valid frame, the string field to break, whether null is allowed there as "absent")
STRING_FIELDS = [
    ("visitor", {"type": "hello", "token": "t"}, "token", False),
    ("visitor", {"type": "hello", "token": "t"}, "conversation", True),
    ("visitor", {"type": "message", "client_id": "a", "text": "x"}, "client_id", False),
    ("visitor", {"type": "message", "client_id": "a", "text": "x"}, "text", False),
    ("visitor", {"type": "message", "client_id": "a", "text": "x"}, "topic", True),
    ("visitor", {"type": "handoff"}, "topic", True),
    ("visitor", {"type": "sync", "conversation": "c"}, "conversation", False),
    ("visitor", {"type": "rate", "conversation": "c", "csat": 5}, "conversation", False),
    ("visitor", {"type": "rate", "conversation": "c", "csat": 5}, "comment", True),
    ("agent", {"type": "message", "conversation": "c", "client_id": "a", "text": "x"}, "conversation", False),
    ("agent", {"type": "message", "conversation": "c", "client_id": "a", "text": "x"}, "client_id", False),
    ("agent", {"type": "message", "conversation": "c", "client_id": "a", "text": "x"}, "text", False),
    ("agent", {"type": "typing", "conversation": "c", "active": True}, "conversation", False),
    ("agent", {"type": "close", "conversation": "c"}, "conversation", False),
    ("agent", {"type": "pick", "conversation": "c"}, "conversation", False),
    ("agent", {"type": "transfer", "conversation": "c"}, "conversation", False),
    ("agent", {"type": "transfer", "conversation": "c"}, "to_agent", True),
    ("agent", {"type": "transfer", "conversation": "c"}, "note", True),
    ("agent", {"type": "status", "status": "online"}, "status", False),
    ("agent", {"type": "hello"}, "status", True),
    ("agent", {"type": "sync", "conversation": "c"}, "conversation", False),
]


@pytest.mark.parametrize(
    ("side", "frame", "field", "nullable"),
    STRING_FIELDS,
    ids=[f"{side}-{frame['type']}-{field}" for side, frame, field, _ in STRING_FIELDS],
)
@pytest.mark.parametrize("value", INJECTIONS, ids=repr)
def test_non_string_values_are_refused_where_a_string_is_expected(
    side: str, frame: dict[str, Any], field: str, nullable: bool, value: Any
) -> None:
    decode = DECODERS[side]
    decode(raw(frame))  # the frame without the injection is fine
    if value is None and nullable:
        assert getattr(decode(raw({**frame, field: None})), field) is None  # null is "absent" for optional fields
        return
    error = refused(decode, raw({**frame, field: value}))
    assert f"$.{field}" in str(error)


@pytest.mark.parametrize("value", ["true", 1, 0, None, "yes", [True], {"$ne": None}])
def test_typing_active_must_be_a_boolean(value: Any) -> None:
    refused(p.decode_visitor, raw({"type": "typing", "active": value}))
    refused(p.decode_agent, raw({"type": "typing", "conversation": "c", "active": value}))


@pytest.mark.parametrize(
    ("field", "good", "bad"),
    [("csat", (1, 5), (0, 6)), ("nps", (0, 10), (-1, 11)), ("ces", (1, 7), (0, 8))],
)
def test_survey_scores_are_integers_within_their_scales(field: str, good: tuple[int, int], bad: tuple[int, int]) -> None:
    frame = {"type": "rate", "conversation": "c", "csat": 3}
    for value in good:
        assert getattr(p.decode_visitor(raw({**frame, field: value})), field) == value
    for wrong in (*bad, str(good[0]), True, False, 2.5, [1], {"$gt": 0}):
        refused(p.decode_visitor, raw({**frame, field: wrong}))
    assert p.decode_visitor(raw({**frame, "comment": "x" * 1000})).comment == "x" * 1000  # type: ignore[union-attr]
    refused(p.decode_visitor, raw({**frame, "comment": "x" * 1001}))


@pytest.mark.parametrize("status", ["busy", "ONLINE", "", "online "])
def test_agent_status_is_one_of_three(status: str) -> None:
    refused(p.decode_agent, raw({"type": "status", "status": status}))
    refused(p.decode_agent, raw({"type": "hello", "status": status}))


# --- lengths and patterns ---------------------------------------------------------------------------


def test_text_is_1_to_4000_characters() -> None:
    assert p.decode_visitor(raw({"type": "message", "client_id": "a", "text": "x" * 4000})).text == "x" * 4000
    refused(p.decode_visitor, raw({"type": "message", "client_id": "a", "text": "x" * 4001}))
    refused(p.decode_visitor, raw({"type": "message", "client_id": "a", "text": ""}))
    refused(p.decode_agent, raw({"type": "message", "conversation": "c", "client_id": "a", "text": "x" * 4001}))
    refused(p.decode_agent, raw({"type": "message", "conversation": "c", "client_id": "a", "text": ""}))


def test_text_length_counts_characters_not_bytes() -> None:
    emoji = "\N{GRINNING FACE}"  # four bytes in UTF-8, one character
    frame = {"type": "message", "client_id": "a", "text": emoji * 4000}
    assert p.decode_visitor(json.dumps(frame, ensure_ascii=False)).text == emoji * 4000
    refused(p.decode_visitor, json.dumps({**frame, "text": emoji * 4001}, ensure_ascii=False))


@pytest.mark.parametrize("blank", [" ", "\n\t ", "\u00a0"])
def test_blank_text_is_refused(blank: str) -> None:
    # A message of only spaces shows nothing on either side: refused like an empty one.
    refused(p.decode_visitor, raw({"type": "message", "client_id": "a", "text": blank}))


def test_text_with_surrounding_spaces_is_kept_as_sent() -> None:
    assert p.decode_visitor(raw({"type": "message", "client_id": "a", "text": "  hi  "})).text == "  hi  "


@pytest.mark.parametrize(
    "client_id",
    ["a", "A-z_0.9:x", "x" * 64, "0123456789abcdef0123456789abcdef", "550e8400-e29b-41d4-a716-446655440000"],
)
def test_client_id_pattern_accepts(client_id: str) -> None:
    assert p.decode_visitor(raw({"type": "message", "client_id": client_id, "text": "x"})).client_id == client_id


@pytest.mark.parametrize(
    "client_id",
    ["", "x" * 65, "a b", "a/b", "a\nb", "\na", "é", "<script>", "a;b", "a\x00", "$ne", "a+b", "🙂"],
)
def test_client_id_pattern_refuses(client_id: str) -> None:
    refused(p.decode_visitor, raw({"type": "message", "client_id": client_id, "text": "x"}))
    refused(p.decode_agent, raw({"type": "message", "conversation": "c", "client_id": client_id, "text": "x"}))


@pytest.mark.parametrize("conversation", ["", "x" * 65, "a.b", "a:b", "../x", "GENERAL ", "a b", "\na"])
def test_conversation_id_pattern_refuses(conversation: str) -> None:
    refused(p.decode_visitor, raw({"type": "sync", "conversation": conversation}))
    refused(p.decode_agent, raw({"type": "pick", "conversation": conversation}))


@pytest.mark.parametrize("topic", ["Billing", "-x", "_x", "x" * 41, "a b", "", "ü"])
def test_topic_pattern_refuses(topic: str) -> None:
    refused(p.decode_visitor, raw({"type": "handoff", "topic": topic}))


# Python's $ also matches before a trailing newline; the patterns must end in \Z to refuse these.
@pytest.mark.parametrize(
    ("side", "frame", "field"),
    [
        ("visitor", {"type": "message", "client_id": "a\n", "text": "x"}, "client_id"),
        ("visitor", {"type": "message", "client_id": "x" * 64 + "\n", "text": "x"}, "client_id"),
        ("agent", {"type": "message", "conversation": "c", "client_id": "a\n", "text": "x"}, "client_id"),
        ("visitor", {"type": "sync", "conversation": "c\n"}, "conversation"),
        ("agent", {"type": "pick", "conversation": "x" * 64 + "\n"}, "conversation"),
        ("visitor", {"type": "handoff", "topic": "billing\n"}, "topic"),
        ("visitor", {"type": "message", "client_id": "a", "text": "x", "topic": "x" * 40 + "\n"}, "topic"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_patterns_refuse_a_trailing_newline(side: str, frame: dict[str, Any], field: str) -> None:
    refused(DECODERS[side], raw(frame))


def test_token_length_is_bounded() -> None:
    assert p.decode_visitor(raw({"type": "hello", "token": "t" * 1024})).token == "t" * 1024
    refused(p.decode_visitor, raw({"type": "hello", "token": "t" * 1025}))
    refused(p.decode_visitor, raw({"type": "hello", "token": ""}))
    refused(p.decode_visitor, raw({"type": "hello"}))


def test_transfer_bounds() -> None:
    refused(p.decode_agent, raw({"type": "transfer", "conversation": "c", "to_agent": ""}))
    refused(p.decode_agent, raw({"type": "transfer", "conversation": "c", "to_agent": "a" * 65}))
    refused(p.decode_agent, raw({"type": "transfer", "conversation": "c", "note": "n" * 1001}))
    assert p.decode_agent(raw({"type": "transfer", "conversation": "c", "note": "n" * 1000})).note == "n" * 1000


# --- numbers ----------------------------------------------------------------------------------------


SEQ_MAX = 2**31 - 1  # events.seq is a 32-bit integer column


@pytest.mark.parametrize("seq", [0, 1, SEQ_MAX])
def test_seq_range_accepts(seq: int) -> None:
    assert p.decode_visitor(raw({"type": "sync", "conversation": "c", "after_seq": seq})).after_seq == seq
    assert p.decode_visitor(raw({"type": "hello", "token": "t", "last_seq": seq})).last_seq == seq


@pytest.mark.parametrize(
    "literal",
    ["-1", str(2**31), str(2**53), str(2**64), str(2**64 + 1), "1" + "0" * 400, "-" + "9" * 400, "1.0", "1.5", "1e3",
     "1e400", "-1e400", "\"1\"", "true", "null", "NaN", "Infinity"],
)
def test_seq_out_of_range_or_not_an_integer_is_refused(literal: str) -> None:
    # Literal JSON text: Python's json module cannot write 1e400 or an int past 2**64 faithfully.
    for data in (
        '{"type":"sync","conversation":"c","after_seq":%s}' % literal,
        '{"type":"hello","token":"t","last_seq":%s}' % literal,
    ):
        with pytest.raises(msgspec.DecodeError):  # ValidationError for well-formed JSON, DecodeError otherwise
            p.decode_visitor(data)


@pytest.mark.parametrize("literal", ["0", "1001", "-1", "2", str(2**64), "1e400", "\"1\""])
def test_only_protocol_versions_1_to_1000_decode_and_the_server_checks_for_1(literal: str) -> None:
    data = '{"type":"hello","token":"t","v":%s}' % literal
    if literal == "2":
        # The schema takes any version in range; the socket refuses anything but PROTOCOL_VERSION.
        assert p.decode_visitor(data).v == 2 != p.PROTOCOL_VERSION
        return
    with pytest.raises(msgspec.DecodeError):
        p.decode_visitor(data)


# --- malformed input: refused, never a crash --------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"", b" ", b"{", b"}", b'{"type":"hello",', b"null", b"[]", b"1", b'"hello"', b"{'type':'hello'}",
     b'{"type":"hello","token":"t"} trailing', b'{"type":"hello","token":"t"}{}', b"\x00"],
)
@pytest.mark.parametrize("side", sorted(DECODERS))
def test_malformed_json_raises_a_msgspec_error(side: str, data: bytes) -> None:
    with pytest.raises(msgspec.DecodeError):
        DECODERS[side](data)
    assert p.frame_type_of(data) is None


@pytest.mark.parametrize(
    "data",
    [b'{"type":"message","client_id":"a","text":"\xff\xfe"}', b'{"type":"message","client_id":"a","text":"\xed\xa0\x80"}',
     b'{"type":"message","client_id":"a","text":"\xc3"}', b'\xff{"type":"hello","token":"t"}'],
)
def test_invalid_utf8_bytes_are_refused(data: bytes) -> None:
    # Real behaviour: msgspec reports bad UTF-8 inside a string as UnicodeDecodeError (a ValueError), not as
    # msgspec.DecodeError. Sockets never hand bytes to the decoder (text frames arrive as validated str), so
    # on the wire this cannot happen; a direct caller must still expect ValueError.
    with pytest.raises((msgspec.DecodeError, UnicodeDecodeError)):
        p.decode_visitor(data)
    with pytest.raises(ValueError):
        p.decode_agent(data)


def test_escaped_lone_surrogate_is_refused() -> None:
    with pytest.raises(msgspec.DecodeError):
        p.decode_visitor(b'{"type":"message","client_id":"a","text":"\\ud800"}')


def test_an_escaped_valid_surrogate_pair_is_one_character() -> None:
    frame = p.decode_visitor(b'{"type":"message","client_id":"a","text":"\\ud83d\\ude00"}')
    assert frame.text == "\N{GRINNING FACE}"


DEPTH = 10_000


def _deep_objects(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


def _deep_arrays(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize("side", ["visitor", "agent", "server"])
@pytest.mark.parametrize("depth", [DEPTH, 100 * DEPTH])
def test_deeply_nested_json_is_refused_without_crashing(side: str, depth: int) -> None:
    decode = {"visitor": p.decode_visitor, "agent": p.decode_agent, "server": p.decode_server}[side]
    # Nested arrays: refused at the first byte (a frame is an object).
    with pytest.raises(msgspec.ValidationError):
        decode(_deep_arrays(depth))
    # Nested objects: msgspec must look through the object for its "type" tag and gives up with RecursionError.
    with pytest.raises(RecursionError):
        decode(_deep_objects(depth))
    # Nesting in a value placed before the tag: the same.
    with pytest.raises(RecursionError):
        decode(b'{"x":' + _deep_arrays(depth) + b',"type":"hello","token":"t"}')
    # Nesting in an unknown field after the tag: refused at the field's name, never descended into.
    tag = {"visitor": b"typing", "agent": b"hello", "server": b"synced"}[side]
    with pytest.raises(msgspec.ValidationError, match="unknown field `x`"):
        decode(b'{"type":"' + tag + b'","x":' + _deep_objects(depth) + b"}")
    # And the interpreter is still fine: an ordinary frame decodes afterwards.
    assert p.decode_visitor(b'{"type":"typing","active":true}') == p.VisitorTyping(active=True)


def test_deep_nesting_inside_a_free_form_field_of_a_server_frame_raises_recursion_error() -> None:
    head = b'{"type":"event","conversation":"c","seq":1,"kind":"message","author":{"role":"agent","name":"A"},'
    head += b'"at":"2024-01-01T00:00:00.000Z","data":{"x":'
    with pytest.raises(RecursionError):
        p.decode_server(head + _deep_arrays(DEPTH) + b"}}")
    shallow = p.decode_server(head + _deep_arrays(50) + b"}}")
    assert isinstance(shallow, p.Event) and shallow.data is not None


def test_duplicate_keys_take_the_last_value() -> None:
    # Real behaviour (msgspec): duplicate keys are not an error; the last one wins.
    assert p.decode_visitor(b'{"type":"hello","token":"a","token":"b"}').token == "b"
    assert p.frame_type_of(b'{"type":"x","type":"typing"}') == "typing"


# --- frame_type_of: a best-effort peek that never raises --------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"type":"pick","conversation":1}', "pick"),
        ('{"type":"status","x":[1,2]}', "status"),
        (b'{"x":1,"type":"transfer"}', "transfer"),
        (b'{"type":"' + b"a" * 100_000 + b'"}', "a" * 100_000),
        (b'{"type":1}', None),
        (b'{"type":null}', None),
        (b'{"type":{"$ne":null}}', None),
        (b'{"type":["hello"]}', None),
        (b"{}", None),
        (b"[1]", None),
        (b'"hello"', None),
        (b"null", None),
        (b"", None),
        ("", None),
        (b"not json", None),
        (b'{"type":"hello"', None),
        (b"\xff\xfe{}", None),
        (_deep_objects(DEPTH), None),
        (_deep_arrays(DEPTH), None),
        (b'{"type":"hello","x":' + _deep_arrays(DEPTH) + b"}", None),
    ],
    ids=lambda v: repr(v)[:40],
)
def test_frame_type_of(data: bytes | str, expected: str | None) -> None:
    assert p.frame_type_of(data) == expected


@pytest.mark.parametrize(
    "data", [b'{"type":"\xff"}', b'{"type":"hello","text":"\xc3"}', '{"type":"\ud800"}'], ids=repr
)
def test_frame_type_of_never_raises_on_bad_unicode(data: bytes | str) -> None:
    # msgspec reports bad UTF-8 in a bytes frame as UnicodeDecodeError and a lone surrogate in a str as
    # UnicodeEncodeError, neither a msgspec.DecodeError.
    assert p.frame_type_of(data) is None


# --- server frames: every one survives encode → decode_server -------------------------------------

AGENT = p.Person(role="agent", name="Alice", id="u1")
INFO = p.ConversationInfo(
    id="conv_1", status="assigned", site="shop", last_seq=4, created_at="2024-05-01T10:00:00.000Z", topic="billing",
    team="Billing", agent=AGENT, visitor=p.Person(role="visitor", name="Visitor"),
    queued_at="2024-05-01T10:00:01.000Z", closed_at=None,
)
SERVER_FRAMES: list[p.ServerFrame] = [
    p.Welcome(v=1, role="visitor", you=p.Person(role="visitor", name="Visitor"), conversations=[],
              server_time="2024-05-01T10:00:00.000Z"),
    p.Welcome(v=1, role="agent", you=AGENT, conversations=[INFO, p.ConversationInfo(
        id="c2", status="queued", site="shop", last_seq=0, created_at="2024-05-01T10:00:00.000Z")],
        server_time="2024-05-01T10:00:00.000Z", status="online", capacity=3,
        teams=[p.TeamRef(id="t1", name="Billing")]),
    p.Ack(client_id="c-1", conversation="conv_1", seq=5, at="2024-05-01T10:00:00.000Z"),
    p.Ack(client_id="c-1", conversation="conv_1", seq=5, at="2024-05-01T10:00:00.000Z", duplicate=True),
    p.Event(conversation="conv_1", seq=1, kind="opened", author=p.Person(role="visitor", name="Visitor"),
            at="2024-05-01T10:00:00.000Z", data={"topic": "billing"}),
    p.Event(conversation="conv_1", seq=2, kind="message", author=AGENT, at="2024-05-01T10:00:00.000Z",
            text="<img src=x onerror=alert(1)> \u2028 \"quoted\" \\ \N{GRINNING FACE}", client_id="c-2"),
    p.Event(conversation="conv_1", seq=3, kind="assigned", author=p.Person(role="system", name="chatsvc"),
            at="2024-05-01T10:00:00.000Z", data={"agent_id": "u1", "nested": {"list": [1, 2.5, None, True, "x"]}}),
    p.Synced(conversation="conv_1", last_seq=0),
    p.TypingNotice(conversation="conv_1", who=AGENT, active=True),
    p.QueueUpdate(conversation="conv_1", position=2, estimated_wait=None, agents_online=0),
    p.QueueUpdate(conversation="conv_1", position=1, estimated_wait=0, agents_online=4),
    p.ChatUpdate(conversation=INFO, mine=True),
    p.ChatUpdate(conversation=INFO, mine=False),
    p.PresenceUpdate(status="away", load=1, capacity=3),
    p.Rated(conversation="conv_1"),
    p.Event(conversation="conv_1", seq=6, kind="note", author=AGENT, at="2024-05-01T10:00:00.000Z",
            text="staff only", client_id="n-1"),
    p.VisitorUpdate(conversation="conv_1", visitor=p.VisitorDetails(
        name="Vera", page_url="https://shop.example/a", page_title="Shop", timezone="Europe/Paris",
        language="fr-FR", browser="Chrome 131 on Linux", user_agent="Mozilla/5.0", seen_at="2024-05-01T10:00:00.000Z",
    )),
    p.VisitorUpdate(conversation="conv_1", visitor=p.VisitorDetails()),
    p.ReadUpdate(conversation="conv_1", seq=5),
    p.Waiting(conversations=[]),
    p.Waiting(conversations=[
        p.WaitingItem(id="c2", site="shop", position=1, queued_at="2024-05-01T10:00:00.000Z",
                      visitor=p.Person(role="visitor", name="Visitor"), team_id="t1", team="Billing",
                      first_message="Where is my parcel?"),
        p.WaitingItem(id="c3", site="shop", position=2, queued_at="2024-05-01T10:00:01.000Z",
                      visitor=p.Person(role="visitor", name="Vera")),
    ]),
    p.ErrorFrame(code="bad_frame", message="nope"),
    p.ErrorFrame(code="rate_limited", message="slow down", ref="c-9"),
    p.Stats(
        version=3, server_time="2024-05-01T10:00:02.000Z", waiting=1, oldest_queued_at="2024-05-01T10:00:00.000Z",
        estimated_wait_seconds=300, in_progress=2, bot=1,
        agents=[p.StatsAgent(id="u1", name="Sam", status="online", load=2, capacity=3)],
        agents_online=1, agents_away=0, agents_offline=0, today={"conversations": 4, "csat": None},
    ),
    p.Stats(
        version=1, server_time="2024-05-01T10:00:02.000Z", waiting=0, oldest_queued_at=None,
        estimated_wait_seconds=None, in_progress=0, bot=0, agents=[], agents_online=0, agents_away=0,
        agents_offline=0, today=None,
    ),
]


@pytest.mark.parametrize("frame", SERVER_FRAMES, ids=lambda f: type(f).__name__)
def test_server_frames_round_trip(frame: p.ServerFrame) -> None:
    data = p.encode(frame)
    assert p.decode_server(data) == frame
    assert p.decode_server(data.decode()) == frame
    assert p.frame_type_of(data) == type(frame).__struct_config__.tag


def test_every_server_frame_type_is_covered_by_the_round_trip() -> None:
    covered = {type(frame) for frame in SERVER_FRAMES}
    assert covered == set(p.ServerFrame.__args__)  # type: ignore[attr-defined]


def test_encoding_omits_defaults_and_puts_the_type_first() -> None:
    data = p.encode(p.Ack(client_id="c", conversation="v", seq=1, at="t"))
    assert data.startswith(b'{"type":"ack"')
    assert b"duplicate" not in data
    assert b'"duplicate":true' in p.encode(p.Ack(client_id="c", conversation="v", seq=1, at="t", duplicate=True))
    # A null wait is meaningful ("no agent online") and is sent; it has no default to omit.
    assert b'"estimated_wait":null' in p.encode(
        p.QueueUpdate(conversation="v", position=1, estimated_wait=None, agents_online=0)
    )


def test_server_decoder_is_strict_too() -> None:
    with pytest.raises(msgspec.ValidationError):
        p.decode_server(b'{"type":"ack","client_id":"c","conversation":"v","seq":1,"at":"t","extra":1}')
    with pytest.raises(msgspec.ValidationError):
        p.decode_server(b'{"type":"ack","client_id":"c","conversation":"v","seq":"1","at":"t"}')
    with pytest.raises(msgspec.ValidationError):
        p.decode_server(b'{"type":"hello","token":"t"}')  # a client frame is not a server frame


def test_client_frames_round_trip() -> None:
    for frame in VISITOR_FRAMES:
        decoded = p.decode_visitor(raw(frame))
        assert p.decode_visitor(p.encode(decoded)) == decoded
    for frame in AGENT_FRAMES:
        decoded = p.decode_agent(raw(frame))
        assert p.decode_agent(p.encode(decoded)) == decoded


def test_the_manager_socket_takes_only_a_typed_hello() -> None:
    assert p.decode_manager(b'{"type":"hello"}') == p.ManagerHello(v=1)
    assert p.decode_manager('{"type":"hello","v":1}') == p.ManagerHello(v=1)
    for bad in (b"{}", b'{"v":1}', b'{"type":"status","status":"online"}', b'{"type":"hello","status":"online"}',
                b'{"type":"hello","v":0}', b"[]", b"nope"):
        with pytest.raises((msgspec.ValidationError, msgspec.DecodeError)):
            p.decode_manager(bad)


def test_a_stats_frame_sends_its_nulls() -> None:
    data = p.encode(SERVER_FRAMES[-1])
    for field in (b'"oldest_queued_at":null', b'"estimated_wait_seconds":null', b'"today":null', b'"agents":[]'):
        assert field in data
