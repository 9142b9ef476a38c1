"""The wire protocol, version 1: one typed definition per frame type, shared by the server and the client.

Every frame is a JSON object whose ``type`` names it. Decoding is strict: unknown fields, wrong types and
out-of-range values are refused before any rule runs. Written down for people in ``docs/protocol.md``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

import msgspec

PROTOCOL_VERSION = 1

# Patterns end in \Z, not $: Python's $ also matches before a trailing newline.
ClientId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.:-]{1,64}\Z")]
ConversationId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{1,64}\Z")]
Seq = Annotated[int, msgspec.Meta(ge=0, le=2**31 - 1)]  # the events.seq column is a 32-bit integer
# At least one non-space character (msgspec patterns search anywhere in the string).
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=4000, pattern=r"\S")]
Token = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
# One line, no control characters (it is shown to agents and may reach a mail header).
PersonName = Annotated[
    str, msgspec.Meta(min_length=1, max_length=120, pattern=r"^[^\x00-\x1f\x7f]*\S[^\x00-\x1f\x7f]*\Z")
]
Topic = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}\Z")]
Version = Annotated[int, msgspec.Meta(ge=1, le=1000)]
SURVEY_COMMENT_MAX = 1000
# Where the visitor is (``page``): shown to agents as a link, so only http(s), no spaces or control characters
# (location.href is always percent-encoded, so a real page never needs them).
PageUrl = Annotated[str, msgspec.Meta(max_length=2048, pattern=r"^https?://[^\x00-\x20\x7f-\x9f]+\Z")]
# One line; may be empty (a page without a <title>).
PageTitle = Annotated[str, msgspec.Meta(max_length=300, pattern=r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*\Z")]
TimeZone = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z_+\-/0-9]{1,64}\Z")]
LanguageTag = Annotated[str, msgspec.Meta(max_length=35, pattern=r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*\Z")]


class _Frame(msgspec.Struct, tag_field="type", forbid_unknown_fields=True, omit_defaults=True):
    pass


# --- visitor -> server --------------------------------------------------------------------------------


class VisitorHello(_Frame, tag="hello"):
    """First frame on /ws/visitor. Resumes the open conversation after ``last_seq`` when ``conversation`` names it."""

    token: Token
    v: Version = PROTOCOL_VERSION
    conversation: ConversationId | None = None  # the conversation the client already shows, if any...
    last_seq: Seq = 0  # ...and the last seq it saw there
    lang: Literal["en", "fr"] = "en"  # the bot's language


class VisitorMessage(_Frame, tag="message"):
    """Text from the visitor. Opens a conversation when none is open. ``client_id`` makes resends safe."""

    client_id: ClientId
    text: Text
    topic: Topic | None = None


class VisitorTyping(_Frame, tag="typing"):
    active: bool


class VisitorHandoff(_Frame, tag="handoff"):
    """Ask for a person: the conversation enters the queue."""

    topic: Topic | None = None


class VisitorClose(_Frame, tag="close"):
    pass


class VisitorFeedback(_Frame, tag="feedback"):
    """The answer to the bot's "Did this solve it?": Yes resolves the chat, No goes on (or to a person)."""

    helpful: bool


class VisitorChoose(_Frame, tag="choose"):
    """Open one of the articles the bot suggested."""

    article: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.:-]{1,64}\Z")]


class VisitorMenu(_Frame, tag="menu"):
    """Press a quick-reply button of the bot's menu."""

    item: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{1,64}\Z")]


class VisitorIdentify(_Frame, tag="identify"):
    """The visitor's name and email (pre-chat form, ``Chatsvc.identify``): shown to agents, and the email lets
    an unanswered question become a ticket answered by mail. Omitted fields are left as they are."""

    name: PersonName | None = None
    email: Annotated[str, msgspec.Meta(min_length=3, max_length=254)] | None = None


class VisitorRate(_Frame, tag="rate"):
    """The end-of-chat survey for one of the visitor's closed conversations, once: CSAT 1-5, optionally NPS 0-10,
    CES 1-7 and a comment. Answered by ``rated``."""

    conversation: ConversationId
    csat: Annotated[int, msgspec.Meta(ge=1, le=5)]
    # Lines and tabs, no other control character (a NUL is refused by PostgreSQL, the rest has no place there).
    comment: Annotated[
        str, msgspec.Meta(max_length=SURVEY_COMMENT_MAX, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*\Z")
    ] | None = None
    nps: Annotated[int, msgspec.Meta(ge=0, le=10)] | None = None
    ces: Annotated[int, msgspec.Meta(ge=1, le=7)] | None = None


class VisitorPage(_Frame, tag="page"):
    """Where the visitor is now (sent after each welcome and on navigation). Stored on the visitor and shown to
    the agent serving them; no answer."""

    url: PageUrl
    title: PageTitle | None = None
    timezone: TimeZone | None = None
    language: LanguageTag | None = None


class VisitorRead(_Frame, tag="read"):
    """The visitor has seen their own conversation up to ``seq`` (the agent's "seen" mark)."""

    conversation: ConversationId
    seq: Seq


class Sync(_Frame, tag="sync"):
    """Replay a conversation's events after ``after_seq``, then a ``synced`` frame."""

    conversation: ConversationId
    after_seq: Seq = 0


VisitorFrame = Union[
    VisitorHello, VisitorMessage, VisitorTyping, VisitorHandoff, VisitorClose, VisitorFeedback, VisitorChoose,
    VisitorMenu, VisitorIdentify, VisitorRate, VisitorPage, VisitorRead, Sync,
]


# --- agent -> server ----------------------------------------------------------------------------------


class AgentHello(_Frame, tag="hello"):
    """First frame on /ws/agent (the session comes from the handshake's cookie or Authorization header)."""

    v: Version = PROTOCOL_VERSION
    status: Literal["online", "away", "offline"] | None = None


class AgentStatusFrame(_Frame, tag="status"):
    status: Literal["online", "away", "offline"]


class AgentMessage(_Frame, tag="message"):
    conversation: ConversationId
    client_id: ClientId
    text: Text


class AgentNote(_Frame, tag="note"):
    """An internal note: a numbered event that staff see and the visitor never does. Answered by ``ack``."""

    conversation: ConversationId
    client_id: ClientId
    text: Text


class AgentTyping(_Frame, tag="typing"):
    conversation: ConversationId
    active: bool


class AgentClose(_Frame, tag="close"):
    conversation: ConversationId


class AgentPick(_Frame, tag="pick"):
    """Take a waiting conversation from the queue (within capacity)."""

    conversation: ConversationId


class AgentTransfer(_Frame, tag="transfer"):
    """Hand a chat to another agent (``to_agent``) or back to the queue (no ``to_agent``)."""

    conversation: ConversationId
    to_agent: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    # For staff only (stored as a ``note`` event). Lines and tabs, no other control character.
    note: Annotated[
        str, msgspec.Meta(max_length=1000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*\Z")
    ] | None = None


AgentFrame = Union[
    AgentHello, AgentStatusFrame, AgentMessage, AgentNote, AgentTyping, AgentClose, AgentPick, AgentTransfer,
    Sync,
]



# --- manager -> server --------------------------------------------------------------------------------


class ManagerHello(_Frame, tag="hello"):
    """First and only frame a client sends on /ws/manager (the session comes from the handshake); the server then
    pushes ``stats`` frames."""

    v: Version = PROTOCOL_VERSION


MANAGER_FRAME_TYPES = frozenset({"hello"})

VISITOR_FRAME_TYPES = frozenset(
    {
        "hello", "message", "typing", "handoff", "close", "feedback", "choose", "menu", "identify", "rate", "page",
        "read", "sync",
    }
)
AGENT_FRAME_TYPES = frozenset(
    {"hello", "status", "message", "note", "typing", "close", "pick", "transfer", "sync"}
)


# --- server -> client ---------------------------------------------------------------------------------


class Person(msgspec.Struct, omit_defaults=True):
    role: str
    name: str
    id: str | None = None


class ConversationInfo(msgspec.Struct, omit_defaults=True):
    id: str
    status: str
    site: str
    last_seq: int
    created_at: str
    topic: str | None = None
    team: str | None = None
    agent: Person | None = None
    visitor: Person | None = None
    queued_at: str | None = None
    closed_at: str | None = None


class MenuItem(msgspec.Struct, omit_defaults=True):
    """A quick-reply button: ``menu`` opens a sub-menu, the others answer, show an article or bring a person."""

    id: str
    label: str
    action: str


class TeamRef(msgspec.Struct):
    id: str
    name: str


class Welcome(_Frame, tag="welcome"):
    v: int
    role: str
    you: Person
    conversations: list[ConversationInfo]
    server_time: str
    menu: list[MenuItem] | None = None  # visitors: the bot's quick replies, when it has any
    status: str | None = None  # agents: their presence status
    capacity: int | None = None
    teams: list[TeamRef] | None = None  # agents: the teams they belong to (which waiting chats they may pick)


class Ack(_Frame, tag="ack"):
    """The message is committed as ``seq`` of ``conversation``. ``duplicate``: it was stored before."""

    client_id: str
    conversation: str
    seq: int
    at: str
    duplicate: bool = False


class Event(_Frame, tag="event"):
    """One numbered entry of a conversation's history. Clients show each (conversation, seq) once."""

    conversation: str
    seq: int
    kind: str
    author: Person
    at: str
    text: str | None = None
    client_id: str | None = None
    data: dict[str, Any] | None = None


class Synced(_Frame, tag="synced"):
    conversation: str
    last_seq: int


class TypingNotice(_Frame, tag="typing"):
    conversation: str
    who: Person
    active: bool


class QueueUpdate(_Frame, tag="queue"):
    """The waiting visitor's place. ``estimated_wait`` is in seconds, null when no agent is online."""

    conversation: str
    position: int
    estimated_wait: int | None
    agents_online: int


class ChatUpdate(_Frame, tag="chat"):
    """To an agent: a conversation entered, changed in, or left the agent's list."""

    conversation: ConversationInfo
    mine: bool


class PresenceUpdate(_Frame, tag="presence"):
    """To an agent: their own status and load."""

    status: str
    load: int
    capacity: int


class VisitorDetails(msgspec.Struct, omit_defaults=True):
    """What staff see of a visitor: who they said they are and where they are now."""

    name: str | None = None
    email: str | None = None
    page_url: str | None = None
    page_title: str | None = None
    timezone: str | None = None
    language: str | None = None
    browser: str | None = None  # short text from the User-Agent, e.g. "Chrome 131 · Linux"
    user_agent: str | None = None
    seen_at: str | None = None  # when the page above was reported


class VisitorUpdate(_Frame, tag="visitor"):
    """Staff only: the visitor of ``conversation`` moved to another page (or said who they are)."""

    conversation: str
    visitor: VisitorDetails


class ReadUpdate(_Frame, tag="read"):
    """Staff only: the visitor has seen ``conversation`` up to ``seq``."""

    conversation: str
    seq: int


class WaitingItem(msgspec.Struct, omit_defaults=True):
    id: str
    site: str
    position: int
    queued_at: str
    visitor: Person
    team_id: str | None = None
    team: str | None = None
    first_message: str | None = None  # the visitor's first message, at most 200 characters


class Waiting(_Frame, tag="waiting"):
    """Staff only: the queue, in order; sent after the welcome and whenever it changes. Agents get the items
    they could serve (no team, or one of theirs); managers and admins all. ``version`` comes from the database
    and grows with every change to the queue: a client drops a list older than one it has shown."""

    conversations: list[WaitingItem]
    version: int = 0


class Rated(_Frame, tag="rated"):
    """To the visitor: their survey of ``conversation`` is stored."""

    conversation: str


class StatsAgent(msgspec.Struct):
    id: str
    name: str
    status: Literal["online", "away", "offline"]
    load: int  # chats held now
    capacity: int


class Stats(_Frame, tag="stats"):
    """To managers and admins on /ws/manager: the queue, the agents and today's figures now. Sent after the hello,
    within about a second of any change, and every ``CHATSVC_LIVE_STATS_REFRESH_SECONDS``. ``version`` grows with
    each snapshot this socket's server process computes. No field has a default: a null is sent as null."""

    version: int
    server_time: str
    waiting: int
    oldest_queued_at: str | None
    estimated_wait_seconds: int | None  # for a new visitor joining the general queue; null: nobody online
    in_progress: int  # held by an agent
    bot: int  # with the bot, no person asked for yet
    agents: list[StatsAgent]  # every enabled agent, plus managers and admins connected to the console
    agents_online: int
    agents_away: int
    agents_offline: int
    today: dict[str, Any] | None  # the summary of /api/stats for today (docs/metrics.md); null if it failed


class ErrorFrame(_Frame, tag="error"):
    code: str
    message: str
    ref: str | None = None


ServerFrame = Union[
    Welcome, Ack, Event, Synced, TypingNotice, QueueUpdate, ChatUpdate, PresenceUpdate, Rated, ErrorFrame,
    VisitorUpdate, ReadUpdate, Waiting, Stats,
]

_encoder = msgspec.json.Encoder()
_visitor_decoder = msgspec.json.Decoder(VisitorFrame)
_agent_decoder = msgspec.json.Decoder(AgentFrame)
_manager_decoder = msgspec.json.Decoder(ManagerHello)
_server_decoder = msgspec.json.Decoder(ServerFrame)


def encode(frame: Any) -> bytes:
    """JSON bytes for a frame (or any structure of frames, lists and dicts)."""
    return _encoder.encode(frame)


def decode_visitor(data: bytes | str) -> VisitorFrame:
    return _visitor_decoder.decode(data)


def decode_agent(data: bytes | str) -> AgentFrame:
    return _agent_decoder.decode(data)


def decode_manager(data: bytes | str) -> ManagerHello:
    frame = _manager_decoder.decode(data)
    # A lone tagged struct decodes without its tag; the protocol wants every frame to name its type.
    if frame_type_of(data) != "hello":
        raise msgspec.ValidationError("Object missing required field `type`")
    return frame


def decode_server(data: bytes | str) -> ServerFrame:
    return _server_decoder.decode(data)


def frame_type_of(data: bytes | str) -> str | None:
    """Best-effort look at the ``type`` of an undecodable frame, to word the error. Never raises."""
    try:
        value = msgspec.json.decode(data, type=dict[str, Any])
    except (msgspec.DecodeError, RecursionError, ValueError):  # ValueError covers bad Unicode
        return None
    kind = value.get("type")
    return kind if isinstance(kind, str) else None
