"""Page languages: every string the pages show, one table per language, and how a request picks one.

The language comes from ``?lang=fr|en`` (remembered in a cookie), else the cookie, else Accept-Language,
else English. Both tables hold the same keys (a test checks it), so a missing translation fails a test
instead of showing a key name to someone.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

from chatsvc.domain.canned import MAX_BODY as CANNED_MAX_BODY
from chatsvc.domain.canned import MAX_TITLE as CANNED_MAX_TITLE
from chatsvc.domain.webhooks import MAX_URL_LENGTH as WEBHOOK_MAX_URL
from chatsvc.errors import ChatError
from chatsvc.services.accounts import MIN_PASSWORD_LENGTH
from chatsvc.services.admin import MAX_CHATS
from chatsvc.services.kb import MAX_ALT, MAX_BODY, MAX_TAGS, MAX_TITLE
from chatsvc.services.replies import MAX_CANNED_PER_OWNER
from chatsvc.services.ssrf import BlockedAddress, UnresolvableHost
from chatsvc.services.ticket_admin import MAX_RULES, NO_OUTCOME, STALE_REFERENCE
from chatsvc.services.tickets import TEXT_MAX as TICKET_TEXT_MAX
from chatsvc.services.webhooks import MAX_WEBHOOKS as WEBHOOK_MAX

LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"
LANG_COOKIE = "chatsvc_lang"
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}


def parse_accept_language(header: str) -> str | None:
    """The supported language the browser prefers most (q-values honoured, regions ignored), or None."""
    best: tuple[float, int, str] | None = None
    for index, part in enumerate(header.split(",")[:20]):
        fields = part.strip().split(";")
        tag = fields[0].strip().lower().split("-")[0]
        quality = 1.0
        for param in fields[1:]:
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag in LANGUAGES and quality > 0 and (best is None or (quality, -index) > (best[0], best[1])):
            best = (quality, -index, tag)
    return best[2] if best else None


def choose_language(conn: HTTPConnection) -> tuple[str, bool]:
    """The language for this request, and whether it was asked for explicitly (then remember it)."""
    asked = conn.query_params.get("lang", "")
    if asked in LANGUAGES:
        return asked, True
    remembered = conn.cookies.get(LANG_COOKIE, "")
    if remembered in LANGUAGES:
        return remembered, False
    return parse_accept_language(conn.headers.get("accept-language", "")) or DEFAULT_LANGUAGE, False


class Translator:
    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
        self.table = STRINGS[self.lang]

    def __call__(self, key: str, **values: object) -> str:
        text = self.table[key]  # a KeyError here is a bug the template tests catch
        return text.format(**values) if values else text

    def plural(self, key: str, n: int) -> str:
        """``key.one`` or ``key.other`` for the count ``n`` (French counts 0 and 1 as singular)."""
        one = n == 1 or (self.lang == "fr" and n == 0)
        return self(f"{key}.{'one' if one else 'other'}", n=n)

    def error(self, exc: ChatError) -> str:
        """A refusal in the page's language: the service's sentence when we have it translated, else the
        sentence for the error's code followed by the service's own detail."""
        if self.lang == "en":
            return exc.message
        known = SERVICE_MESSAGES.get(self.lang, {}).get(exc.message)
        if known:
            return known
        generic = self.table.get("error.code." + exc.code, self.table["error.code.bad_request"])
        return f"{generic} ({exc.message})"


EN: dict[str, str] = {
    # layout
    "app.tagline": "Self-hosted live chat for support teams",
    "nav.home": "Home",
    "nav.staff": "My space",
    "nav.signin": "Staff sign-in",
    "nav.signout": "Sign out",
    "nav.users": "Users",
    "nav.sites": "Sites",
    "nav.teams": "Teams",
    "nav.kb": "Knowledge base",
    "nav.language": "Language",
    "nav.skip": "Skip to content",
    "footer.text": "chatsvc {version} · self-hosted live chat · your conversations stay on your server",
    # home
    "home.title": "Live chat for your support team, on your own server",
    "home.lead": (
        "chatsvc is the server of a live chat, one process on a laptop or many behind a load balancer: the "
        "chat core over WebSockets with queues, capacity and team routing, a bot that answers first from your knowledge base and a quick-reply menu, "
        "canned responses, and the staff pages that manage all of it."
    ),
    "home.lead.next": (
        "Visitors chat through the widget, one script tag on your website; this page embeds it, so try it. "
        "Agents answer in the console (/console), several chats at once; programs of yours can use the Python "
        "client. Managers follow the live queue and the team's figures on their page, /manager."
    ),
    "home.cta.signin": "Staff sign-in",
    "home.cta.docs": "Documentation",
    "home.now.title": "Available now",
    "home.now.core.title": "The chat core, over WebSockets",
    "home.now.core.text": (
        "Visitors and agents connect to /ws/visitor and /ws/agent (docs/protocol.md). Waiting visitors learn "
        "their place in the queue and an estimated wait; each agent gets chats within their capacity, from "
        "the teams that own the topics. A Python client is included."
    ),
    "home.now.bot.title": "A bot that answers first",
    "home.now.bot.text": (
        "It answers typed questions from the published knowledge-base articles and offers the quick-reply "
        "menu you design; a visitor can ask for a person at any time."
    ),
    "home.now.kb.title": "Knowledge base",
    "home.now.kb.text": (
        "Write, preview and publish articles on the Knowledge base page, or import and export them from the "
        "command line; measure how well the bot matches questions with chatsvc kb eval."
    ),
    "home.now.canned.title": "Canned responses",
    "home.now.canned.text": (
        "Personal and shared ready-made answers with placeholders such as the visitor's name, managed on "
        "their page and through /api/canned."
    ),
    "home.now.admin.title": "Accounts, sites and teams",
    "home.now.admin.text": (
        "Agents, managers and administrators with their capacity; the sites visitors come from and their "
        "allowed origins; teams and the topics they answer. On the admin pages, the API or the command line."
    ),
    "home.now.widget.title": "The visitor widget",
    "home.now.widget.text": (
        "One script tag on your website, so visitors chat without creating an account: the bot's answers, "
        "the queue, a person, or a message left for later. Its colour, greeting and forms are set per site."
    ),
    "home.now.console.title": "The agent console",
    "home.now.console.text": (
        "Agents answer several chats at once at /console: the bot's turns the visitor already read, who the "
        "visitor is and which page they are on, canned responses with /, the knowledge base, internal notes, "
        "transfer, the queue, and keyboard shortcuts."
    ),
    "home.now.manager.title": "The manager page",
    "home.now.manager.text": (
        "At /manager: the live queue, the longest wait and who is online with their load, updated as it "
        "happens; then a period's figures (deflection, first response, CSAT and more) with charts, CSV files "
        "and the questions the bot could not answer."
    ),
    "home.now.safe.title": "No message lost",
    "home.now.safe.text": (
        "A message is confirmed only once it is saved. A dropped connection picks up exactly where it "
        "left off, even after a server restart."
    ),
    "home.next.title": "Coming next",
    "home.next.badge": "Coming",
    "home.next.intro": "This is planned and not available yet.",
    "home.next.scale.title": "Several server processes",
    "home.next.scale.text": (
        "Today one process serves everything. Next: many processes on PostgreSQL and Redis behind a load "
        "balancer, sharing presence and the queue, with nothing lost when one of them stops."
    ),
    "home.how.title": "How a conversation goes",
    "home.how.1": (
        "A visitor opens the widget on your website (or a program of yours connects to /ws/visitor with the "
        "site's key) and writes."
    ),
    "home.how.2": "The bot answers first, from the knowledge base or with the quick-reply menu.",
    "home.how.3": (
        "Asking for a person, the conversation waits in the queue of the team that owns its topic; the "
        "visitor sees their position and an estimated wait."
    ),
    "home.how.4": (
        "An agent of that team with room for one more chat receives it on /ws/agent and answers; every "
        "message is kept in order."
    ),
    "home.run.title": "Run it yourself",
    "home.run.text": (
        "One process and an SQLite file are enough for a small team. For more, run several processes with "
        "PostgreSQL and Redis behind any load balancer."
    ),
    "home.docs.title": "Documentation",
    "home.docs.intro": "The documentation ships with the source code:",
    "home.docs.readme": "installing, running, and every configuration setting.",
    "home.docs.protocol": (
        "the WebSocket protocol (/ws/visitor, /ws/agent) with the bot's frames, spoken by the widget and the "
        "Python client and the agent console."
    ),
    "home.docs.architecture": "how the server is built: processes, storage, broker, the bot.",
    "home.docs.bench": "the benchmarks for messaging and the knowledge-base matcher, and how to run them.",
    "home.docs.http": "HTTP endpoints:",
    "home.docs.http.health": "health of the database and broker",
    "home.docs.http.auth": "staff sign-in for programs",
    "home.docs.http.admin": "users, sites and teams, for administrators",
    "home.docs.http.kb": "knowledge-base articles, and the Markdown preview",
    "home.docs.http.menu": "the bot's quick-reply menu",
    "home.docs.http.canned": "canned responses, and filling their placeholders",
    "home.docs.http.visitor": "a visitor session for a site, before its socket",
    "home.docs.http.widget": "the widget's script, and a site's widget settings and availability",
    "home.docs.http.conversation": "a conversation and its transcript, for staff",
    "home.docs.http.ws": "the visitors' and the staff's sockets",
    "home.docs.cli": "Command line:",
    # sign-in
    "login.title": "Staff sign-in",
    "login.intro": (
        "For agents, managers and administrators. Visitors need no account: they chat from your website."
    ),
    "login.email": "Email",
    "login.password": "Password",
    "login.submit": "Sign in",
    "login.wrong": "Wrong email or password.",
    "login.blocked": "Too many failed attempts. Try again in {minutes} min.",
    "login.csrf": "This sign-in form had expired. Please sign in again.",
    "login.first_start": (
        "First start? The administrator's one-time password is in initial-admin-password.txt, in the "
        "server's data directory."
    ),
    "notice.signed_out": "You are signed out.",
    # signed-in landing page
    "staff.title": "Hello, {name}",
    "staff.signed_in_as": "Signed in as",
    "staff.role": "Role",
    "staff.email": "Email",
    "staff.capacity": "Concurrent chats",
    "staff.teams": "Teams",
    "staff.no_team": "no team: you receive chats from the general queue",
    "staff.tools": "What you can do here",
    "staff.link.users": "Users",
    "staff.link.users.text": "Create staff accounts, set roles and capacity, disable access.",
    "staff.link.sites": "Sites",
    "staff.link.sites.text": "The websites visitors chat from, their keys, and the origins allowed for each.",
    "staff.link.teams": "Teams",
    "staff.link.teams.text": "Group agents and choose which topics each team answers.",
    "staff.link.kb": "Knowledge base",
    "staff.link.kb.text": "The articles the bot answers visitors with, and agents look things up in.",
    "staff.link.password": "Change my password",
    "staff.link.password.text": "Changing it signs you out of every other browser and connection.",
    "staff.link.console": "Agent console",
    "staff.link.console.text": "Answer the chats assigned to you and pick waiting ones.",
    "staff.link.manager": "Live queue and figures",
    "staff.link.manager.text": "Who is waiting, who is online, and how the team is doing.",
    "staff.socket_note": (
        "Chat clients connect to this server's staff WebSocket (/ws/agent) with this session."
    ),
    "role.agent": "Agent",
    "role.manager": "Manager",
    "role.admin": "Administrator",
    # password
    "password.title": "Change your password",
    "password.required": "For your security, choose your own password before continuing.",
    "password.current": "Current password",
    "password.new": "New password",
    "password.again": "Confirm the new password",
    "password.hint": (
        "At least {n} characters. A few unrelated words make a strong password that is easy to remember."
    ),
    "password.effect": "Your other sessions and open connections will be signed out.",
    "password.submit": "Change password",
    "password.mismatch": "The two new passwords differ.",
    "notice.password_changed": "Your password is changed. Every other session was signed out.",
    # admin, shared
    "admin.title": "Administration",
    "common.save": "Save",
    "common.create": "Create",
    "common.delete": "Delete",
    "common.name": "Name",
    "common.created": "Created",
    "common.actions": "Actions",
    "common.default": "default ({n})",
    # users
    "users.title": "Users",
    "users.intro": (
        "Agents answer chats; managers also edit the knowledge base and watch the queue and the team's figures "
        "on the manager page, /manager; administrators manage everything on these pages."
    ),
    "users.new": "New user",
    "users.email": "Email",
    "users.name": "Name",
    "users.role": "Role",
    "users.max_chats": "Concurrent chats",
    "users.max_chats.hint": "Empty: the server default ({n}).",
    "users.max_chats.value": "Concurrent chats: {value}",
    "users.password": "Initial password",
    "users.password.hint": "At least {n} characters. They choose their own at first sign-in.",
    "users.status": "Status",
    "users.active": "Active",
    "users.disabled": "Disabled",
    "users.must_change": "Must change password",
    "users.last_login": "Last sign-in",
    "users.never": "never",
    "users.you": "you",
    "users.disable": "Disable",
    "users.enable": "Enable",
    "users.disable.confirm": "Disable this account? Its sessions and open connections end at once.",
    "users.reset": "Reset password",
    "users.reset.hint": "They are signed out everywhere and choose a new password at their next sign-in.",
    "users.settings": "Role and capacity",
    "notice.user_created": "The user is created. Give them their initial password through a safe channel.",
    "notice.user_updated": "The user is updated.",
    "notice.user_disabled": "The user is disabled and signed out everywhere.",
    "notice.user_enabled": "The user is enabled again.",
    "notice.password_reset": "The password is reset; the user is signed out everywhere.",
    # sites
    "sites.title": "Sites",
    "sites.intro": (
        "A site is a website your visitors chat from, through the widget: one script tag, given below for each "
        "site. Its key identifies the site to the widget, and to visitor sessions and sockets of your own "
        "clients (POST /api/visitor/session, /ws/visitor?site=KEY). Browsers may open chats only from the "
        "origins listed, compared exactly: scheme, host and port, no wildcards."
    ),
    "sites.new": "New site",
    "sites.key": "Key",
    "sites.key.hint": "Lower-case letters, digits, '-' and '_'. It cannot be changed later.",
    "sites.name": "Name",
    "sites.origins": "Allowed origins",
    "sites.origins.hint": "One per line, for example https://www.example.com or http://localhost:8080.",
    "sites.no_origins": "No origin yet: browsers cannot open chats on this site.",
    "sites.delete.confirm": "Delete this site? Its visitors and conversations are deleted with it.",
    "sites.empty": "No site yet.",
    "notice.site_created": "The site is created.",
    "notice.site_updated": "The site is updated.",
    "notice.site_deleted": "The site is deleted.",
    # teams
    "teams.title": "Teams",
    "teams.intro": (
        "A conversation started on a topic waits for the agents of the team that owns the topic; one without "
        "a topic goes to any available agent."
    ),
    "teams.new": "New team",
    "teams.name": "Name",
    "teams.topics": "Topics",
    "teams.topics.hint": "One per line: lower-case letters, digits, '-' and '_', like billing. One team per topic.",
    "teams.no_topics": "No topic",
    "teams.members": "Members",
    "teams.no_users": "No user yet.",
    "teams.member_count.one": "{n} member",
    "teams.member_count.other": "{n} members",
    "teams.topics.placeholder": "billing",
    "teams.delete.confirm": "Delete this team? Its conversations are kept, without a team.",
    "teams.empty": "No team yet.",
    "notice.team_created": "The team is created.",
    "notice.team_updated": "The team is updated.",
    "notice.team_deleted": "The team is deleted.",
    # predefined replies: the bot's menu and canned responses
    "nav.admin": "Administration",
    "nav.menu": "Bot menu",
    "nav.canned": "Canned responses",
    "staff.link.menu": "Bot menu",
    "staff.link.menu.text": "The quick replies the bot offers first: answers, articles, topics, a person.",
    "staff.link.canned": "Canned responses",
    "staff.link.canned.text": "Ready-made answers with placeholders, for agents and programs (/api/canned).",
    "menu.title": "Bot menu",
    "menu.intro": (
        "The buttons the bot shows when a visitor opens the chat. Each one answers with a text, shows an "
        "article, sends the chat to the team of a topic, brings a person, or opens a sub-menu."
    ),
    "menu.action": "When chosen",
    "menu.action.answer": "Answer with a text",
    "menu.action.article": "Show an article",
    "menu.action.topic": "Send to a team's queue",
    "menu.action.human": "Bring a person",
    "menu.action.menu": "Open a sub-menu",
    "menu.new_item": "New button",
    "menu.up": "Move up",
    "menu.down": "Move down",
    "menu.label": "Label (English)",
    "menu.label.placeholder": "Billing",
    "menu.label_fr": "Label in French",
    "menu.label_fr.placeholder": "Empty: the English label",
    "menu.answer": "Answer",
    "menu.answer.placeholder": "The text the bot sends, then it asks whether that solved it.",
    "menu.article": "Article",
    "menu.article.choose": "Choose an article…",
    "menu.article.missing": "Missing article ({id})",
    "menu.article.draft": "draft",
    "menu.article.none": "The knowledge base has no article yet.",
    "menu.topic": "Topic",
    "menu.topic.hint": "The team that owns this topic receives the chat (Teams page).",
    "menu.human.hint": "The chat goes to the general queue, for the first available agent.",
    "menu.menu.hint": "Its buttons are listed below it.",
    "menu.add_child": "Add a button to this sub-menu",
    "menu.add_root": "Add a button",
    "menu.empty": "No quick replies yet: the bot only answers typed questions. Add a first button.",
    "menu.delete.confirm": "Delete this button and everything under it?",
    "menu.unsaved": "Not saved yet: press “Save the menu” to keep these changes.",
    "menu.show_error": "Show the button at fault",
    "menu.save": "Save the menu",
    "menu.save.hint": "Visitors see the new menu in the next chat they open.",
    "menu.preview": "What visitors see",
    "menu.preview.greeting": "Hello! What can we help you with?",
    "menu.preview.empty": "No button: the visitor types a question.",
    "menu.preview.hint": "French visitors see the French labels.",
    "menu.help": "What each button does",
    "menu.help.answer": "The bot sends your text, then asks whether it solved the problem.",
    "menu.help.article": "The bot shows a knowledge-base article, then asks whether it solved the problem.",
    "menu.help.topic": "The chat waits for the agents of the team that owns the topic.",
    "menu.help.human": "The chat waits for the first available agent.",
    "menu.help.menu": "Shows more buttons, listed under it.",
    "menu.help.limits": "At most {per_level} buttons per menu and {depth} levels.",
    "notice.menu_saved": "The menu is saved.",
    "canned.eyebrow": "Agent tools",
    "canned.title": "Canned responses",
    "canned.intro": (
        "Ready-made answers for agents. Programs list them and fill their placeholders with a conversation's "
        "details through /api/canned; in the agent console, type /shortcut and Tab."
    ),
    "canned.new": "New canned response",
    "canned.shortcut": "Shortcut",
    "canned.shortcut.placeholder": "refund",
    "canned.shortcut.hint": "Lower-case letters, digits, '-' and '_'. Yours may reuse a shared shortcut: yours wins.",
    "canned.name": "Title",
    "canned.name.placeholder": "Refund policy",
    "canned.body": "Text",
    "canned.body.placeholder": "Hello {visitor_name}, refunds are processed within 5 working days.",
    "canned.body.hint": "Placeholders such as {visitor_name} are filled when the text is inserted.",
    "canned.scope": "Who can use it",
    "canned.scope.personal": "Only me",
    "canned.scope.shared": "Every agent (shared)",
    "canned.placeholders": "Placeholders",
    "canned.placeholders.intro": "Written in braces in the text, they are replaced when an agent inserts it:",
    "canned.placeholders.escape": (
        "A placeholder with no value (a visitor who gave no name) stays as written, for you to complete. "
        "Write two braces for a literal one."
    ),
    "canned.ph.visitor_name": "the visitor's name",
    "canned.ph.visitor_email": "the visitor's email address",
    "canned.ph.agent_name": "your name",
    "canned.ph.site_name": "the website the visitor writes from",
    "canned.ph.date": "today's date (2024-05-01)",
    "canned.search": "Search",
    "canned.search.placeholder": "Search by shortcut, title or text",
    "canned.search.clear": "Show all",
    "canned.search.none": "Nothing matches this search.",
    "canned.mine": "My canned responses",
    "canned.mine.empty": "You have no personal canned response yet.",
    "canned.shared_list": "Shared with everyone",
    "canned.shared.readonly": "Administrators manage the shared responses.",
    "canned.shared.empty": "No shared canned response yet.",
    "canned.shared": "Shared",
    "canned.personal": "Personal",
    "canned.uses": "Uses",
    "canned.edit": "Edit",
    "canned.delete.confirm": "Delete this canned response?",
    "notice.canned_created": "The canned response is created.",
    "notice.canned_updated": "The canned response is updated.",
    "notice.canned_deleted": "The canned response is deleted.",
    # knowledge base
    "kb.eyebrow": "Bot and agents",
    "kb.title": "Knowledge base",
    "kb.intro": (
        "The bot answers visitors' questions with these articles before a person steps in, and agents look "
        "answers up in them. Only published articles are offered to visitors."
    ),
    "kb.new": "New article",
    "kb.new.intro": "Write the question as a visitor would ask it, then the answer.",
    "kb.edit.title": "Edit article",
    "kb.back": "All articles",
    "kb.id": "Id",
    "kb.search": "Search",
    "kb.search.placeholder": "Search titles",
    "kb.search.clear": "Clear",
    "kb.col.title": "Article",
    "kb.col.tags": "Tags",
    "kb.col.status": "Status",
    "kb.col.updated": "Updated",
    "kb.alt_count.one": "asked {n} other way",
    "kb.alt_count.other": "asked {n} other ways",
    "kb.published": "Published",
    "kb.draft": "Draft",
    "kb.publish": "Publish",
    "kb.unpublish": "Unpublish",
    "kb.edit": "Edit",
    "kb.pages": "Pages",
    "kb.count": "{first}–{last} of {total}",
    "kb.previous": "Previous",
    "kb.next": "Next",
    "kb.no_match": "No article title contains “{q}”.",
    "kb.empty": "No article yet. Create the first one, or import many at once from the command line:",
    "kb.empty.import": "JSON Lines, CSV or a folder of Markdown files:",
    "kb.field.title": "Question (title)",
    "kb.field.body": "Answer",
    "kb.field.body.hint": (
        "Markdown: **bold**, *italic*, lists, [links](https://example.com). Links may point to http, https "
        "and mailto addresses only; HTML is shown as text."
    ),
    "kb.field.alt": "Also asked as",
    "kb.field.alt.hint": "Other ways visitors ask the same question, one per line (at most {n}).",
    "kb.field.tags": "Tags",
    "kb.field.tags.hint": "Separated by commas (at most {n}).",
    "kb.field.lang": "Language",
    "kb.lang.en": "English",
    "kb.lang.fr": "French",
    "kb.field.published": "Published",
    "kb.field.published.hint": "The bot may offer it to visitors at once. Unpublished, it is a draft.",
    "kb.save.hint": "The bot uses the change as soon as it is saved.",
    "kb.preview": "Preview",
    "kb.preview.hint": "As visitors see it in the chat.",
    "kb.preview.empty": "Nothing to preview yet.",
    "kb.preview.failed": "The preview could not be updated (is the answer too long?).",
    "kb.delete.title": "Delete this article",
    "kb.delete.text": "The bot stops offering it at once. This cannot be undone; unpublishing can.",
    "kb.delete.confirm": "Delete this article? This cannot be undone.",
    "notice.kb_created": "The article is created.",
    "notice.kb_saved": "The article is saved.",
    "notice.kb_deleted": "The article is deleted.",
    "notice.kb_published": "The article is published.",
    "notice.kb_unpublished": "The article is unpublished: the bot no longer offers it.",
    # tickets: what admins configure (rules, escalation words, SLA targets, business hours)
    "nav.admin_tickets": "Tickets",
    "ticket_admin.title": "Tickets",
    "ticket_admin.intro": (
        "How new tickets are routed and how fast they must be answered: assignment rules, the words that "
        "escalate a ticket, the SLA targets for each priority and each site's business hours."
    ),
    "ticket_admin.show_form": "Show the form",
    "ticket_admin.rules": "Assignment rules",
    "ticket_admin.rules.intro": (
        "Checked from top to bottom for every new ticket: the first enabled rule whose conditions all hold sets "
        "the team, the agent and the priority it names, and no later rule is looked at."
    ),
    "ticket_admin.rules.empty": "No rule yet: new tickets get no team or agent and normal priority.",
    "ticket_admin.rule.when": "When",
    "ticket_admin.rule.then": "Then",
    "ticket_admin.rule.name": "Name",
    "ticket_admin.rule.name.placeholder": "Invoices to Billing",
    "ticket_admin.rule.keywords": "Keywords",
    "ticket_admin.rule.keywords.placeholder": "invoice, receipt, VAT",
    "ticket_admin.rule.keywords.hint": (
        "Comma-separated; any one of them in the subject or the question. Whole words, case and accents ignored."
    ),
    "ticket_admin.rule.topic": "Topic",
    "ticket_admin.rule.site": "Site",
    "ticket_admin.rule.any_site": "Any site",
    "ticket_admin.rule.team": "Team",
    "ticket_admin.rule.no_team": "No team",
    "ticket_admin.rule.agent": "Agent",
    "ticket_admin.rule.no_agent": "No agent",
    "ticket_admin.rule.priority": "Priority",
    "ticket_admin.rule.keep_priority": "Keep the priority",
    "ticket_admin.rule.disabled": "Disabled",
    "ticket_admin.rule.words": "Words",
    "ticket_admin.rule.every_ticket": "Every ticket",
    "ticket_admin.rule.up": "Move up",
    "ticket_admin.rule.down": "Move down",
    "ticket_admin.rule.edit": "Edit",
    "ticket_admin.rule.disable": "Disable",
    "ticket_admin.rule.enable": "Enable",
    "ticket_admin.rule.delete.confirm": "Delete this rule? Tickets already routed keep their team and agent.",
    "ticket_admin.rule.new": "New rule",
    "ticket_admin.rule.new.hint": (
        "Leave keywords, topic and site empty for a rule that applies to every ticket. New rules go last."
    ),
    "ticket_admin.rule.add": "Add the rule",
    "ticket_admin.escalation": "Escalation words",
    "ticket_admin.escalation.intro": (
        "A new ticket with one of these words gets at least this priority (never a lower one) and is flagged "
        "for a person to look at."
    ),
    "ticket_admin.escalation.words": "Words and phrases",
    "ticket_admin.escalation.words.hint": "One per line. Whole words, case and accents ignored.",
    "ticket_admin.escalation.priority": "Raise the priority to",
    "ticket_admin.sla": "SLA targets",
    "ticket_admin.sla.intro": "How soon tickets must get their first answer and be resolved, in minutes.",
    "ticket_admin.sla.first": "First response",
    "ticket_admin.sla.resolution": "Resolution",
    "ticket_admin.sla.business_hours": "Count in business hours",
    "ticket_admin.sla.business_hours.hint": (
        "The clocks stop while the ticket's site is closed. Sites without business hours count every minute."
    ),
    "ticket_admin.hours": "Business hours",
    "ticket_admin.hours.intro": "When each site is staffed, in its own time zone. SLA clocks can count only these hours.",
    "ticket_admin.hours.open_now": "Open now",
    "ticket_admin.hours.closed_now": "Closed now",
    "ticket_admin.hours.none": "No hours",
    "ticket_admin.hours.show": "Show",
    "ticket_admin.hours.open_now.text": "{site} is open now.",
    "ticket_admin.hours.next_opening": "{site} is closed now; it opens {when} (local time).",
    "ticket_admin.hours.never_opens": "{site} is never open with these hours.",
    "ticket_admin.hours.none.text": (
        "{site} has no business hours: SLA clocks count every minute. The week below is a starting point."
    ),
    "ticket_admin.hours.timezone": "Time zone",
    "ticket_admin.hours.timezone.hint": "An IANA name, such as Europe/Paris or America/Montreal.",
    "ticket_admin.hours.holidays": "Holidays",
    "ticket_admin.hours.holidays.hint": "One date per line (YYYY-MM-DD), closed all day.",
    "ticket_admin.hours.week": "Opening hours",
    "ticket_admin.hours.closed": "closed",
    "ticket_admin.hours.week.hint": "Like 09:00-12:00, 13:00-17:30; 24:00 ends at midnight; empty means closed.",
    "ticket_admin.hours.clear": "Remove the hours",
    "ticket_admin.hours.clear.confirm": "Remove this site's business hours? SLA clocks will count every minute.",
    "ticket_admin.hours.no_sites": "No site yet.",
    "ticket_admin.priority.urgent": "Urgent",
    "ticket_admin.priority.high": "High",
    "ticket_admin.priority.normal": "Normal",
    "ticket_admin.priority.low": "Low",
    "ticket_admin.day.mon": "Monday",
    "ticket_admin.day.tue": "Tuesday",
    "ticket_admin.day.wed": "Wednesday",
    "ticket_admin.day.thu": "Thursday",
    "ticket_admin.day.fri": "Friday",
    "ticket_admin.day.sat": "Saturday",
    "ticket_admin.day.sun": "Sunday",
    "notice.ticket_rule_created": "The rule is added at the end of the list.",
    "notice.ticket_rule_updated": "The rule is saved.",
    "notice.ticket_rule_moved": "The rule is moved.",
    "notice.ticket_rule_enabled": "The rule is enabled.",
    "notice.ticket_rule_disabled": "The rule is disabled: new tickets skip it.",
    "notice.ticket_rule_deleted": "The rule is deleted.",
    "notice.ticket_escalation_saved": "The escalation words are saved.",
    "notice.ticket_sla_saved": "The SLA targets are saved. They apply to new tickets.",
    "notice.ticket_hours_saved": "The business hours are saved.",
    "notice.ticket_hours_cleared": "The business hours are removed.",
    # errors
    "error.title": "That did not work",
    "error.forbidden.title": "Not allowed",
    "error.back_home": "Back to the home page",
    "error.back_staff": "Back to my space",
    "error.not_found.title": "Page not found",
    "error.not_found.text": "There is no page at this address. It may have moved, or the link may be mistyped.",
    "error.method_not_allowed.text": "This address does not accept that kind of request.",
    "error.internal.text": "Something went wrong on the server. Try again in a moment.",
    "error.code.bad_request": "The request is not valid.",
    "error.code.forbidden": "You may not do that.",
    "error.code.not_found": "Not found.",
    "error.code.conflict": "This conflicts with existing data.",
    "error.code.csrf_failed": (
        "This form has expired or was sent from another site, so nothing was changed. Reload the page and "
        "try again."
    ),
    "error.code.rate_limited": "Too many attempts; try again later.",
    "error.code.unauthorized": "Please sign in.",
    "error.code.password_change_required": "Choose a new password first.",
    # visitor ticket status page (web/visitor_tickets.py)
    "ts.support": "Support",
    "ts.eyebrow": "Your support request",
    "ts.opened": "Opened {when}",
    "ts.at": "{date}, {time} {zone}",
    "ts.months": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec",
    "ts.status.new": "Received",
    "ts.status.open": "In progress",
    "ts.status.pending": "Waiting for your reply",
    "ts.status.resolved": "Resolved",
    "ts.status.closed": "Closed",
    "ts.status.new.text": (
        "We have your message. Someone from our team will answer you soon, "
        "by email and here."
    ),
    "ts.status.open.text": "Our team is working on your request. You will get an email when we answer.",
    "ts.status.pending.text": "We need a word from you to go on: please answer below.",
    "ts.status.resolved.text": (
        "We believe this is settled. If anything is still wrong, answer below and your request opens again."
    ),
    "ts.status.closed.text": "This request is closed. Thank you for contacting us.",
    "ts.thread": "Conversation",
    "ts.from_chat": "Your chat with us",
    "ts.from_ticket": "Your request",
    "ts.you": "You",
    "ts.team": "The {site} team",
    "ts.bot.articles": "Suggested articles",
    "ts.event.created": "Request received",
    "ts.event.open": "Our team is on it",
    "ts.event.reopened": "Opened again",
    "ts.event.pending": "Waiting for your reply",
    "ts.event.resolved": "Marked resolved",
    "ts.event.closed": "Closed",
    "ts.answer.title": "Add a message",
    "ts.answer.placeholder": "Write your message here…",
    "ts.answer.hint": "We will answer you by email and on this page.",
    "ts.answer.reopens": "Sending a message opens your request again.",
    "ts.answer.send": "Send",
    "ts.sent": "Your message is sent. We will answer you by email.",
    "ts.closed.title": "This request is closed",
    "ts.closed.text": (
        "It can no longer receive messages. To ask something else, contact us again "
        "from our website."
    ),
    "ts.closed.visit": "Go to {site}",
    "ts.private": (
        "This page is private: anyone with its link can read and answer your request. "
        "Please do not share it."
    ),
    "ts.footer": "Customer support powered by chatsvc",
    "ts.error.closed": "This request is closed, so your message was not sent.",
    "ts.error.empty": "Write a message before sending it.",
    "ts.error.too_long": "Your message is too long: {n} characters at most.",
    "ts.error.rate_limited": "Too many messages from your connection. Please try again in a few minutes.",
    "ts.not_found.title": "We cannot find this request",
    "ts.not_found.text": "The link may be incomplete or mistyped.",
    "ts.not_found.hint": (
        "Open it again from the email we sent you, or copy the whole address into "
        "your browser."
    ),
    "ts.rate_limited.title": "Please wait a moment",
    "ts.rate_limited.text": "Too many attempts from your connection. Try again in a few minutes.",
    "ts.cross_site.title": "Message not sent",
    "ts.cross_site.text": (
        "This form was sent from another website, so nothing was sent. Open your request from the link in "
        "our email and write from there."
    ),
}

FR: dict[str, str] = {
    "app.tagline": "Chat en direct auto-hébergé pour les équipes support",
    "nav.home": "Accueil",
    "nav.staff": "Mon espace",
    "nav.signin": "Connexion de l'équipe",
    "nav.signout": "Se déconnecter",
    "nav.users": "Utilisateurs",
    "nav.sites": "Sites",
    "nav.teams": "Équipes",
    "nav.kb": "Base de connaissances",
    "nav.language": "Langue",
    "nav.skip": "Aller au contenu",
    "footer.text": "chatsvc {version} · chat en direct auto-hébergé · vos conversations restent sur votre serveur",
    "home.title": "Le chat en direct de votre équipe support, sur votre propre serveur",
    "home.lead": (
        "chatsvc est le serveur d'un chat en direct, un seul processus sur un portable ou plusieurs derrière un "
        "répartiteur de charge : le cœur du chat sur WebSocket "
        "avec files d'attente, capacité et routage par équipe, un bot qui répond d'abord avec votre base de "
        "connaissances et un menu de réponses rapides, des réponses types, et les pages de l'équipe pour gérer "
        "tout cela."
    ),
    "home.lead.next": (
        "Les visiteurs écrivent depuis le widget, une seule balise script sur votre site ; cette page "
        "l'intègre, essayez-le. Les agents répondent dans la console (/console), plusieurs chats à la fois ; "
        "vos programmes peuvent utiliser le client Python. Les responsables suivent la file et les chiffres "
        "de l'équipe sur /manager."
    ),
    "home.cta.signin": "Connexion de l'équipe",
    "home.cta.docs": "Documentation",
    "home.now.title": "Disponible aujourd'hui",
    "home.now.core.title": "Le cœur du chat, sur WebSocket",
    "home.now.core.text": (
        "Visiteurs et agents se connectent à /ws/visitor et /ws/agent (docs/protocol.md). Un visiteur qui "
        "attend connaît sa place dans la file et une estimation de l'attente ; chaque agent reçoit des chats "
        "dans la limite de sa capacité, des équipes chargées des sujets. Un client Python est fourni."
    ),
    "home.now.bot.title": "Un bot qui répond d'abord",
    "home.now.bot.text": (
        "Il répond aux questions écrites avec les articles publiés de la base de connaissances et propose le "
        "menu de réponses rapides que vous concevez ; le visiteur peut demander une personne à tout moment."
    ),
    "home.now.kb.title": "Base de connaissances",
    "home.now.kb.text": (
        "Écrivez, prévisualisez et publiez des articles sur la page Base de connaissances, ou importez-les et "
        "exportez-les en ligne de commande ; mesurez la justesse du bot avec chatsvc kb eval."
    ),
    "home.now.canned.title": "Réponses types",
    "home.now.canned.text": (
        "Des réponses toutes prêtes, personnelles ou partagées, avec des variables comme le nom du visiteur, "
        "gérées sur leur page et par /api/canned."
    ),
    "home.now.admin.title": "Comptes, sites et équipes",
    "home.now.admin.text": (
        "Agents, responsables et administrateurs avec leur capacité ; les sites d'où viennent les visiteurs "
        "et leurs origines autorisées ; les équipes et leurs sujets. Sur les pages d'administration, par "
        "l'API ou en ligne de commande."
    ),
    "home.now.widget.title": "Le widget des visiteurs",
    "home.now.widget.text": (
        "Une seule balise script sur votre site, pour que les visiteurs écrivent sans créer de compte : les "
        "réponses du bot, la file d'attente, une personne, ou un message laissé pour plus tard. Sa couleur, "
        "son accueil et ses formulaires se règlent par site."
    ),
    "home.now.console.title": "La console des agents",
    "home.now.console.text": (
        "Les agents répondent à plusieurs chats à la fois sur /console : les échanges avec le bot que le "
        "visiteur a déjà lus, qui il est et sur quelle page, les réponses types avec /, la base de "
        "connaissances, les notes internes, le transfert, la file d'attente et des raccourcis clavier."
    ),
    "home.now.manager.title": "La page des responsables",
    "home.now.manager.text": (
        "Sur /manager : la file en direct, l'attente la plus longue et qui est en ligne avec sa charge, à jour "
        "à chaque changement ; puis les chiffres d'une période (résolution par le bot, première réponse, CSAT "
        "et d'autres) avec graphiques, fichiers CSV et les questions restées sans réponse du bot."
    ),
    "home.now.safe.title": "Aucun message perdu",
    "home.now.safe.text": (
        "Un message n'est confirmé qu'une fois enregistré. Une connexion coupée reprend exactement où elle "
        "s'était arrêtée, même après un redémarrage du serveur."
    ),
    "home.next.title": "Prochainement",
    "home.next.badge": "À venir",
    "home.next.intro": (
        "Ceci est prévu mais pas encore disponible."
    ),
    "home.next.scale.title": "Plusieurs processus serveur",
    "home.next.scale.text": (
        "Aujourd'hui un seul processus sert tout. Ensuite : plusieurs processus sur PostgreSQL et Redis "
        "derrière un répartiteur de charge, qui partagent la présence et la file, sans rien perdre quand l'un "
        "d'eux s'arrête."
    ),
    "home.how.title": "Le déroulé d'une conversation",
    "home.how.1": (
        "Un visiteur ouvre le widget sur votre site (ou un programme à vous se connecte à /ws/visitor avec la "
        "clé du site) et écrit."
    ),
    "home.how.2": "Le bot répond d'abord, avec la base de connaissances ou le menu de réponses rapides.",
    "home.how.3": (
        "S'il demande une personne, la conversation attend dans la file de l'équipe chargée de son sujet ; "
        "le visiteur voit sa place et une estimation de l'attente."
    ),
    "home.how.4": (
        "Un agent de cette équipe qui a encore de la place la reçoit sur /ws/agent et répond ; chaque message "
        "est conservé dans l'ordre."
    ),
    "home.run.title": "Hébergez-le vous-même",
    "home.run.text": (
        "Un seul processus et un fichier SQLite suffisent pour une petite équipe. Au-delà, lancez plusieurs "
        "processus avec PostgreSQL et Redis derrière n'importe quel répartiteur de charge."
    ),
    "home.docs.title": "Documentation",
    "home.docs.intro": "La documentation est livrée avec le code source :",
    "home.docs.readme": "installation, lancement et tous les réglages de configuration.",
    "home.docs.protocol": (
        "le protocole WebSocket (/ws/visitor, /ws/agent) avec les messages du bot, parlé par le widget, le "
        "client Python et la console des agents."
    ),
    "home.docs.architecture": "l'organisation du serveur : processus, stockage, broker, bot.",
    "home.docs.bench": "les mesures de performance de la messagerie et du bot, et comment les lancer.",
    "home.docs.http": "Points d'accès HTTP :",
    "home.docs.http.health": "état de la base de données et du broker",
    "home.docs.http.auth": "connexion de l'équipe pour les programmes",
    "home.docs.http.admin": "utilisateurs, sites et équipes, pour les administrateurs",
    "home.docs.http.kb": "les articles de la base de connaissances, et l'aperçu Markdown",
    "home.docs.http.menu": "le menu de réponses rapides du bot",
    "home.docs.http.canned": "les réponses types, et le remplissage de leurs variables",
    "home.docs.http.visitor": "une session de visiteur pour un site, avant sa connexion WebSocket",
    "home.docs.http.widget": "le script du widget, et les réglages et la disponibilité d'un site pour lui",
    "home.docs.http.conversation": "une conversation et sa transcription, pour l'équipe",
    "home.docs.http.ws": "les WebSockets des visiteurs et de l'équipe",
    "home.docs.cli": "Ligne de commande :",
    "login.title": "Connexion de l'équipe",
    "login.intro": (
        "Pour les agents, responsables et administrateurs. Les visiteurs n'ont pas besoin de compte : ils "
        "écrivent depuis votre site."
    ),
    "login.email": "Adresse e-mail",
    "login.password": "Mot de passe",
    "login.submit": "Se connecter",
    "login.wrong": "Adresse e-mail ou mot de passe incorrect.",
    "login.blocked": "Trop de tentatives échouées. Réessayez dans {minutes} min.",
    "login.csrf": "Ce formulaire de connexion avait expiré. Veuillez vous connecter à nouveau.",
    "login.first_start": (
        "Premier démarrage ? Le mot de passe à usage unique de l'administrateur se trouve dans "
        "initial-admin-password.txt, dans le répertoire de données du serveur."
    ),
    "notice.signed_out": "Vous êtes déconnecté.",
    "staff.title": "Bonjour, {name}",
    "staff.signed_in_as": "Connecté en tant que",
    "staff.role": "Rôle",
    "staff.email": "Adresse e-mail",
    "staff.capacity": "Chats simultanés",
    "staff.teams": "Équipes",
    "staff.no_team": "aucune équipe : vous recevez les chats de la file générale",
    "staff.tools": "Ce que vous pouvez faire ici",
    "staff.link.users": "Utilisateurs",
    "staff.link.users.text": "Créer des comptes, fixer rôles et capacités, retirer un accès.",
    "staff.link.sites": "Sites",
    "staff.link.sites.text": "Les sites d'où écrivent les visiteurs, leurs clés, et les origines autorisées pour chacun.",
    "staff.link.teams": "Équipes",
    "staff.link.teams.text": "Regrouper les agents et choisir les sujets de chaque équipe.",
    "staff.link.kb": "Base de connaissances",
    "staff.link.kb.text": "Les articles avec lesquels le bot répond aux visiteurs, et que les agents consultent.",
    "staff.link.password": "Changer mon mot de passe",
    "staff.link.password.text": "Le changer vous déconnecte de tous vos autres navigateurs et connexions.",
    "staff.link.console": "Console des agents",
    "staff.link.console.text": "Répondre aux chats qui vous sont confiés et prendre ceux qui attendent.",
    "staff.link.manager": "File d'attente et indicateurs",
    "staff.link.manager.text": "Qui attend, qui est en ligne, et où en est l'équipe.",
    "staff.socket_note": (
        "Les clients de chat se connectent au WebSocket de l'équipe de ce serveur (/ws/agent) avec cette session."
    ),
    "role.agent": "Agent",
    "role.manager": "Responsable",
    "role.admin": "Administrateur",
    "password.title": "Changer votre mot de passe",
    "password.required": "Pour votre sécurité, choisissez votre propre mot de passe avant de continuer.",
    "password.current": "Mot de passe actuel",
    "password.new": "Nouveau mot de passe",
    "password.again": "Confirmer le nouveau mot de passe",
    "password.hint": (
        "Au moins {n} caractères. Quelques mots sans rapport entre eux font un mot de passe solide et facile "
        "à retenir."
    ),
    "password.effect": "Vos autres sessions et connexions ouvertes seront fermées.",
    "password.submit": "Changer le mot de passe",
    "password.mismatch": "Les deux nouveaux mots de passe sont différents.",
    "notice.password_changed": "Votre mot de passe est changé. Toutes vos autres sessions ont été fermées.",
    "admin.title": "Administration",
    "common.save": "Enregistrer",
    "common.create": "Créer",
    "common.delete": "Supprimer",
    "common.name": "Nom",
    "common.created": "Créé le",
    "common.actions": "Actions",
    "common.default": "par défaut ({n})",
    "users.title": "Utilisateurs",
    "users.intro": (
        "Les agents répondent aux chats ; les responsables modifient aussi la base de connaissances et suivent "
        "la file et les chiffres de l'équipe sur la page des responsables, /manager ; les administrateurs gèrent "
        "tout depuis ces pages."
    ),
    "users.new": "Nouvel utilisateur",
    "users.email": "Adresse e-mail",
    "users.name": "Nom",
    "users.role": "Rôle",
    "users.max_chats": "Chats simultanés",
    "users.max_chats.hint": "Vide : la valeur du serveur ({n}).",
    "users.max_chats.value": "Chats simultanés : {value}",
    "users.password": "Mot de passe initial",
    "users.password.hint": "Au moins {n} caractères. La personne choisira le sien à sa première connexion.",
    "users.status": "État",
    "users.active": "Actif",
    "users.disabled": "Désactivé",
    "users.must_change": "Doit changer son mot de passe",
    "users.last_login": "Dernière connexion",
    "users.never": "jamais",
    "users.you": "vous",
    "users.disable": "Désactiver",
    "users.enable": "Réactiver",
    "users.disable.confirm": "Désactiver ce compte ? Ses sessions et connexions ouvertes sont fermées aussitôt.",
    "users.reset": "Réinitialiser le mot de passe",
    "users.reset.hint": (
        "La personne est déconnectée partout et choisira un nouveau mot de passe à sa prochaine connexion."
    ),
    "users.settings": "Rôle et capacité",
    "notice.user_created": (
        "L'utilisateur est créé. Transmettez-lui son mot de passe initial par un canal sûr."
    ),
    "notice.user_updated": "L'utilisateur est modifié.",
    "notice.user_disabled": "L'utilisateur est désactivé et déconnecté partout.",
    "notice.user_enabled": "L'utilisateur est réactivé.",
    "notice.password_reset": "Le mot de passe est réinitialisé ; l'utilisateur est déconnecté partout.",
    "sites.title": "Sites",
    "sites.intro": (
        "Un site est un site web depuis lequel vos visiteurs écrivent, avec le widget : une balise script, "
        "donnée ci-dessous pour chaque site. Sa clé identifie le site auprès du widget, et des sessions et "
        "WebSockets des visiteurs de vos propres clients (POST /api/visitor/session, /ws/visitor?site=CLÉ). "
        "Les navigateurs ne peuvent ouvrir un chat que depuis les origines listées, comparées exactement : "
        "schéma, hôte et port, sans joker."
    ),
    "sites.new": "Nouveau site",
    "sites.key": "Clé",
    "sites.key.hint": "Lettres minuscules, chiffres, « - » et « _ ». Elle ne pourra plus être changée.",
    "sites.name": "Nom",
    "sites.origins": "Origines autorisées",
    "sites.origins.hint": "Une par ligne, par exemple https://www.example.com ou http://localhost:8080.",
    "sites.no_origins": "Aucune origine : les navigateurs ne peuvent pas ouvrir de chat sur ce site.",
    "sites.delete.confirm": "Supprimer ce site ? Ses visiteurs et ses conversations sont supprimés avec lui.",
    "sites.empty": "Aucun site pour l'instant.",
    "notice.site_created": "Le site est créé.",
    "notice.site_updated": "Le site est modifié.",
    "notice.site_deleted": "Le site est supprimé.",
    "teams.title": "Équipes",
    "teams.intro": (
        "Une conversation ouverte sur un sujet attend les agents de l'équipe chargée de ce sujet ; une "
        "conversation sans sujet va à n'importe quel agent disponible."
    ),
    "teams.new": "Nouvelle équipe",
    "teams.name": "Nom",
    "teams.topics": "Sujets",
    "teams.topics.hint": (
        "Un par ligne : lettres minuscules, chiffres, « - » et « _ », comme facturation. Une seule équipe par sujet."
    ),
    "teams.no_topics": "Aucun sujet",
    "teams.members": "Membres",
    "teams.no_users": "Aucun utilisateur pour l'instant.",
    "teams.member_count.one": "{n} membre",
    "teams.member_count.other": "{n} membres",
    "teams.topics.placeholder": "facturation",
    "teams.delete.confirm": "Supprimer cette équipe ? Ses conversations sont conservées, sans équipe.",
    "teams.empty": "Aucune équipe pour l'instant.",
    "notice.team_created": "L'équipe est créée.",
    "notice.team_updated": "L'équipe est modifiée.",
    "notice.team_deleted": "L'équipe est supprimée.",
    "nav.admin": "Administration",
    "nav.menu": "Menu du bot",
    "nav.canned": "Réponses types",
    "staff.link.menu": "Menu du bot",
    "staff.link.menu.text": "Les réponses rapides que le bot propose d'abord : réponses, articles, sujets, un conseiller.",
    "staff.link.canned": "Réponses types",
    "staff.link.canned.text": "Des réponses toutes prêtes avec variables, pour les agents et les programmes (/api/canned).",
    "menu.title": "Menu du bot",
    "menu.intro": (
        "Les boutons que le bot affiche quand un visiteur ouvre le chat. Chacun répond par un texte, montre un "
        "article, envoie le chat à l'équipe d'un sujet, fait venir un conseiller ou ouvre un sous-menu."
    ),
    "menu.action": "Quand on le choisit",
    "menu.action.answer": "Répondre par un texte",
    "menu.action.article": "Montrer un article",
    "menu.action.topic": "Envoyer à la file d'une équipe",
    "menu.action.human": "Faire venir un conseiller",
    "menu.action.menu": "Ouvrir un sous-menu",
    "menu.new_item": "Nouveau bouton",
    "menu.up": "Monter",
    "menu.down": "Descendre",
    "menu.label": "Libellé du bouton (anglais)",
    "menu.label.placeholder": "Billing",
    "menu.label_fr": "Libellé en français",
    "menu.label_fr.placeholder": "Vide : le libellé anglais",
    "menu.answer": "Réponse",
    "menu.answer.placeholder": "Le texte que le bot envoie, avant de demander si cela a résolu le problème.",
    "menu.article": "Article",
    "menu.article.choose": "Choisir un article…",
    "menu.article.missing": "Article introuvable ({id})",
    "menu.article.draft": "brouillon",
    "menu.article.none": "La base de connaissances n'a pas encore d'article.",
    "menu.topic": "Sujet",
    "menu.topic.hint": "L'équipe chargée de ce sujet reçoit le chat (page Équipes).",
    "menu.human.hint": "Le chat va dans la file générale, pour le premier agent disponible.",
    "menu.menu.hint": "Ses boutons sont listés en dessous.",
    "menu.add_child": "Ajouter un bouton à ce sous-menu",
    "menu.add_root": "Ajouter un bouton",
    "menu.empty": (
        "Pas encore de réponse rapide : le bot ne répond qu'aux questions écrites. Ajoutez un premier bouton."
    ),
    "menu.delete.confirm": "Supprimer ce bouton et tout ce qu'il contient ?",
    "menu.unsaved": "Pas encore enregistré : cliquez sur « Enregistrer le menu » pour garder ces changements.",
    "menu.show_error": "Voir le bouton en cause",
    "menu.save": "Enregistrer le menu",
    "menu.save.hint": "Les visiteurs voient le nouveau menu dans le prochain chat qu'ils ouvrent.",
    "menu.preview": "Ce que voient les visiteurs",
    "menu.preview.greeting": "Bonjour ! Comment pouvons-nous vous aider ?",
    "menu.preview.empty": "Aucun bouton : le visiteur écrit sa question.",
    "menu.preview.hint": "Les visiteurs francophones voient les libellés en français.",
    "menu.help": "Ce que fait chaque bouton",
    "menu.help.answer": "Le bot envoie votre texte, puis demande si cela a résolu le problème.",
    "menu.help.article": (
        "Le bot montre un article de la base de connaissances, puis demande si cela a résolu le problème."
    ),
    "menu.help.topic": "Le chat attend les agents de l'équipe chargée du sujet.",
    "menu.help.human": "Le chat attend le premier agent disponible.",
    "menu.help.menu": "Affiche d'autres boutons, rangés sous lui.",
    "menu.help.limits": "Au plus {per_level} boutons par menu et {depth} niveaux.",
    "notice.menu_saved": "Le menu est enregistré.",
    "canned.eyebrow": "Outils des agents",
    "canned.title": "Réponses types",
    "canned.intro": (
        "Des réponses toutes prêtes pour les agents. Les programmes les listent et remplissent leurs variables "
        "avec les informations d'une conversation par /api/canned ; dans la console des agents, tapez "
        "/raccourci puis Tab."
    ),
    "canned.new": "Nouvelle réponse type",
    "canned.shortcut": "Raccourci",
    "canned.shortcut.placeholder": "remboursement",
    "canned.shortcut.hint": (
        "Lettres minuscules, chiffres, « - » et « _ ». Le vôtre peut reprendre un raccourci partagé : le vôtre "
        "l'emporte."
    ),
    "canned.name": "Titre",
    "canned.name.placeholder": "Politique de remboursement",
    "canned.body": "Texte",
    "canned.body.placeholder": "Bonjour {visitor_name}, les remboursements sont traités sous 5 jours ouvrés.",
    "canned.body.hint": "Les variables comme {visitor_name} sont remplies à l'insertion du texte.",
    "canned.scope": "Qui peut l'utiliser",
    "canned.scope.personal": "Moi seulement",
    "canned.scope.shared": "Tous les agents (partagée)",
    "canned.placeholders": "Variables",
    "canned.placeholders.intro": "Écrites entre accolades dans le texte, elles sont remplacées quand un agent l'insère :",
    "canned.placeholders.escape": (
        "Une variable sans valeur (un visiteur qui n'a pas donné son nom) reste telle quelle, à compléter. "
        "Doublez une accolade pour l'écrire telle quelle."
    ),
    "canned.ph.visitor_name": "le nom du visiteur",
    "canned.ph.visitor_email": "l'adresse e-mail du visiteur",
    "canned.ph.agent_name": "votre nom",
    "canned.ph.site_name": "le site depuis lequel le visiteur écrit",
    "canned.ph.date": "la date du jour (2024-05-01)",
    "canned.search": "Chercher",
    "canned.search.placeholder": "Chercher par raccourci, titre ou texte",
    "canned.search.clear": "Tout afficher",
    "canned.search.none": "Rien ne correspond à cette recherche.",
    "canned.mine": "Mes réponses types",
    "canned.mine.empty": "Vous n'avez pas encore de réponse type personnelle.",
    "canned.shared_list": "Partagées avec tous",
    "canned.shared.readonly": "Les administrateurs gèrent les réponses partagées.",
    "canned.shared.empty": "Pas encore de réponse type partagée.",
    "canned.shared": "Partagée",
    "canned.personal": "Personnelle",
    "canned.uses": "Utilise",
    "canned.edit": "Modifier",
    "canned.delete.confirm": "Supprimer cette réponse type ?",
    "notice.canned_created": "La réponse type est créée.",
    "notice.canned_updated": "La réponse type est modifiée.",
    "notice.canned_deleted": "La réponse type est supprimée.",
    # knowledge base
    "kb.eyebrow": "Bot et agents",
    "kb.title": "Base de connaissances",
    "kb.intro": (
        "Le bot répond aux questions des visiteurs avec ces articles avant qu'une personne prenne le relais, "
        "et les agents y cherchent leurs réponses. Seuls les articles publiés sont proposés aux visiteurs."
    ),
    "kb.new": "Nouvel article",
    "kb.new.intro": "Écrivez la question comme un visiteur la poserait, puis la réponse.",
    "kb.edit.title": "Modifier l'article",
    "kb.back": "Tous les articles",
    "kb.id": "Identifiant",
    "kb.search": "Rechercher",
    "kb.search.placeholder": "Rechercher dans les titres",
    "kb.search.clear": "Effacer",
    "kb.col.title": "Article",
    "kb.col.tags": "Étiquettes",
    "kb.col.status": "État",
    "kb.col.updated": "Modifié",
    "kb.alt_count.one": "{n} autre formulation",
    "kb.alt_count.other": "{n} autres formulations",
    "kb.published": "Publié",
    "kb.draft": "Brouillon",
    "kb.publish": "Publier",
    "kb.unpublish": "Dépublier",
    "kb.edit": "Modifier",
    "kb.pages": "Pages",
    "kb.count": "{first}–{last} sur {total}",
    "kb.previous": "Précédent",
    "kb.next": "Suivant",
    "kb.no_match": "Aucun titre d'article ne contient « {q} ».",
    "kb.empty": (
        "Aucun article pour l'instant. Créez le premier, ou importez-en beaucoup d'un coup en ligne de "
        "commande :"
    ),
    "kb.empty.import": "JSON Lines, CSV ou un dossier de fichiers Markdown :",
    "kb.field.title": "Question (titre)",
    "kb.field.body": "Réponse",
    "kb.field.body.hint": (
        "Markdown : **gras**, *italique*, listes, [liens](https://example.com). Les liens ne peuvent viser que "
        "des adresses http, https et mailto ; le HTML s'affiche comme du texte."
    ),
    "kb.field.alt": "Autres formulations",
    "kb.field.alt.hint": "Les autres façons de poser la même question, une par ligne (au plus {n}).",
    "kb.field.tags": "Étiquettes",
    "kb.field.tags.hint": "Séparées par des virgules (au plus {n}).",
    "kb.field.lang": "Langue",
    "kb.lang.en": "Anglais",
    "kb.lang.fr": "Français",
    "kb.field.published": "Publié",
    "kb.field.published.hint": "Le bot peut le proposer aux visiteurs tout de suite. Non publié, c'est un brouillon.",
    "kb.save.hint": "Le bot tient compte de la modification dès l'enregistrement.",
    "kb.preview": "Aperçu",
    "kb.preview.hint": "Tel que les visiteurs le voient dans le chat.",
    "kb.preview.empty": "Rien à prévisualiser pour l'instant.",
    "kb.preview.failed": "L'aperçu n'a pas pu être mis à jour (la réponse est-elle trop longue ?).",
    "kb.delete.title": "Supprimer cet article",
    "kb.delete.text": "Le bot cesse aussitôt de le proposer. C'est définitif ; dépublier ne l'est pas.",
    "kb.delete.confirm": "Supprimer cet article ? C'est définitif.",
    "notice.kb_created": "L'article est créé.",
    "notice.kb_saved": "L'article est enregistré.",
    "notice.kb_deleted": "L'article est supprimé.",
    "notice.kb_published": "L'article est publié.",
    "notice.kb_unpublished": "L'article est dépublié : le bot ne le propose plus.",
    "nav.admin_tickets": "Tickets",
    "ticket_admin.title": "Tickets",
    "ticket_admin.intro": (
        "Comment les nouveaux tickets sont attribués et en combien de temps y répondre : règles d'attribution, "
        "mots qui font monter la priorité, objectifs de SLA par priorité et horaires d'ouverture de chaque site."
    ),
    "ticket_admin.show_form": "Voir le formulaire",
    "ticket_admin.rules": "Règles d'attribution",
    "ticket_admin.rules.intro": (
        "Examinées de haut en bas pour chaque nouveau ticket : la première règle active dont toutes les "
        "conditions sont remplies fixe l'équipe, l'agent et la priorité qu'elle indique, et les suivantes sont "
        "ignorées."
    ),
    "ticket_admin.rules.empty": (
        "Aucune règle pour l'instant : les nouveaux tickets n'ont ni équipe ni agent, en priorité normale."
    ),
    "ticket_admin.rule.when": "Quand",
    "ticket_admin.rule.then": "Alors",
    "ticket_admin.rule.name": "Nom",
    "ticket_admin.rule.name.placeholder": "Factures vers la Facturation",
    "ticket_admin.rule.keywords": "Mots-clés",
    "ticket_admin.rule.keywords.placeholder": "facture, reçu, TVA",
    "ticket_admin.rule.keywords.hint": (
        "Séparés par des virgules ; l'un d'eux dans l'objet ou la question. Mots entiers, sans tenir compte "
        "de la casse ni des accents."
    ),
    "ticket_admin.rule.topic": "Sujet",
    "ticket_admin.rule.site": "Site",
    "ticket_admin.rule.any_site": "Tous les sites",
    "ticket_admin.rule.team": "Équipe",
    "ticket_admin.rule.no_team": "Aucune équipe",
    "ticket_admin.rule.agent": "Agent",
    "ticket_admin.rule.no_agent": "Aucun agent",
    "ticket_admin.rule.priority": "Priorité",
    "ticket_admin.rule.keep_priority": "Garder la priorité",
    "ticket_admin.rule.disabled": "Désactivée",
    "ticket_admin.rule.words": "Mots",
    "ticket_admin.rule.every_ticket": "Tous les tickets",
    "ticket_admin.rule.up": "Monter",
    "ticket_admin.rule.down": "Descendre",
    "ticket_admin.rule.edit": "Modifier",
    "ticket_admin.rule.disable": "Désactiver",
    "ticket_admin.rule.enable": "Activer",
    "ticket_admin.rule.delete.confirm": (
        "Supprimer cette règle ? Les tickets déjà attribués gardent leur équipe et leur agent."
    ),
    "ticket_admin.rule.new": "Nouvelle règle",
    "ticket_admin.rule.new.hint": (
        "Sans mots-clés, sujet ni site, la règle s'applique à tous les tickets. Une nouvelle règle se place "
        "en dernier."
    ),
    "ticket_admin.rule.add": "Ajouter la règle",
    "ticket_admin.escalation": "Mots d'escalade",
    "ticket_admin.escalation.intro": (
        "Un nouveau ticket contenant l'un de ces mots reçoit au moins cette priorité (jamais une plus basse) "
        "et est signalé pour qu'une personne le regarde."
    ),
    "ticket_admin.escalation.words": "Mots et expressions",
    "ticket_admin.escalation.words.hint": (
        "Un par ligne. Mots entiers, sans tenir compte de la casse ni des accents."
    ),
    "ticket_admin.escalation.priority": "Monter la priorité à",
    "ticket_admin.sla": "Objectifs de SLA",
    "ticket_admin.sla.intro": (
        "Le délai de première réponse et de résolution des tickets, en minutes."
    ),
    "ticket_admin.sla.first": "Première réponse",
    "ticket_admin.sla.resolution": "Résolution",
    "ticket_admin.sla.business_hours": "Compter en heures ouvrées",
    "ticket_admin.sla.business_hours.hint": (
        "Les compteurs s'arrêtent quand le site du ticket est fermé. Un site sans horaires compte chaque minute."
    ),
    "ticket_admin.hours": "Horaires d'ouverture",
    "ticket_admin.hours.intro": (
        "Quand chaque site a du monde, dans son propre fuseau horaire. Les SLA peuvent ne compter que ces heures."
    ),
    "ticket_admin.hours.open_now": "Ouvert",
    "ticket_admin.hours.closed_now": "Fermé",
    "ticket_admin.hours.none": "Sans horaires",
    "ticket_admin.hours.show": "Afficher",
    "ticket_admin.hours.open_now.text": "{site} est ouvert en ce moment.",
    "ticket_admin.hours.next_opening": "{site} est fermé ; ouverture {when} (heure locale).",
    "ticket_admin.hours.never_opens": "{site} n'est jamais ouvert avec ces horaires.",
    "ticket_admin.hours.none.text": (
        "{site} n'a pas d'horaires : les SLA comptent chaque minute. La semaine ci-dessous est un point de départ."
    ),
    "ticket_admin.hours.timezone": "Fuseau horaire",
    "ticket_admin.hours.timezone.hint": "Un nom IANA, comme Europe/Paris ou America/Montreal.",
    "ticket_admin.hours.holidays": "Jours fériés",
    "ticket_admin.hours.holidays.hint": "Une date par ligne (AAAA-MM-JJ), fermé toute la journée.",
    "ticket_admin.hours.week": "Heures d'ouverture",
    "ticket_admin.hours.closed": "fermé",
    "ticket_admin.hours.week.hint": (
        "Comme 09:00-12:00, 13:00-17:30 ; 24:00 finit à minuit ; vide signifie fermé."
    ),
    "ticket_admin.hours.clear": "Supprimer les horaires",
    "ticket_admin.hours.clear.confirm": (
        "Supprimer les horaires de ce site ? Les SLA compteront chaque minute."
    ),
    "ticket_admin.hours.no_sites": "Aucun site pour l'instant.",
    "ticket_admin.priority.urgent": "Urgente",
    "ticket_admin.priority.high": "Haute",
    "ticket_admin.priority.normal": "Normale",
    "ticket_admin.priority.low": "Basse",
    "ticket_admin.day.mon": "Lundi",
    "ticket_admin.day.tue": "Mardi",
    "ticket_admin.day.wed": "Mercredi",
    "ticket_admin.day.thu": "Jeudi",
    "ticket_admin.day.fri": "Vendredi",
    "ticket_admin.day.sat": "Samedi",
    "ticket_admin.day.sun": "Dimanche",
    "notice.ticket_rule_created": "La règle est ajoutée en fin de liste.",
    "notice.ticket_rule_updated": "La règle est enregistrée.",
    "notice.ticket_rule_moved": "La règle est déplacée.",
    "notice.ticket_rule_enabled": "La règle est activée.",
    "notice.ticket_rule_disabled": "La règle est désactivée : les nouveaux tickets l'ignorent.",
    "notice.ticket_rule_deleted": "La règle est supprimée.",
    "notice.ticket_escalation_saved": "Les mots d'escalade sont enregistrés.",
    "notice.ticket_sla_saved": "Les objectifs de SLA sont enregistrés. Ils s'appliquent aux nouveaux tickets.",
    "notice.ticket_hours_saved": "Les horaires d'ouverture sont enregistrés.",
    "notice.ticket_hours_cleared": "Les horaires d'ouverture sont supprimés.",
    "error.title": "Cela n'a pas fonctionné",
    "error.forbidden.title": "Accès refusé",
    "error.back_home": "Retour à l'accueil",
    "error.back_staff": "Retour à mon espace",
    "error.not_found.title": "Page introuvable",
    "error.not_found.text": (
        "Il n'y a pas de page à cette adresse. Elle a peut-être changé, ou le lien contient une faute de frappe."
    ),
    "error.method_not_allowed.text": "Cette adresse n'accepte pas ce type de requête.",
    "error.internal.text": "Un problème est survenu sur le serveur. Réessayez dans un instant.",
    "error.code.bad_request": "La demande n'est pas valide.",
    "error.code.forbidden": "Vous ne pouvez pas faire cela.",
    "error.code.not_found": "Introuvable.",
    "error.code.conflict": "Cela entre en conflit avec des données existantes.",
    "error.code.csrf_failed": (
        "Ce formulaire a expiré ou a été envoyé depuis un autre site : rien n'a été modifié. Rechargez la "
        "page et réessayez."
    ),
    "error.code.rate_limited": "Trop de tentatives ; réessayez plus tard.",
    "error.code.unauthorized": "Veuillez vous connecter.",
    "error.code.password_change_required": "Choisissez d'abord un nouveau mot de passe.",
    # page de suivi d'une demande (web/visitor_tickets.py)
    "ts.support": "Assistance",
    "ts.eyebrow": "Votre demande d'assistance",
    "ts.opened": "Ouverte le {when}",
    "ts.at": "{date} à {time} {zone}",
    "ts.months": "janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.",
    "ts.status.new": "Reçue",
    "ts.status.open": "En cours",
    "ts.status.pending": "En attente de votre réponse",
    "ts.status.resolved": "Résolue",
    "ts.status.closed": "Fermée",
    "ts.status.new.text": (
        "Nous avons bien reçu votre message. Quelqu'un de notre équipe vous répondra bientôt, par e-mail et "
        "ici."
    ),
    "ts.status.open.text": (
        "Notre équipe s'occupe de votre demande. Vous recevrez un e-mail dès que nous répondrons."
    ),
    "ts.status.pending.text": (
        "Nous avons besoin d'une réponse de votre part pour continuer : répondez ci-dessous."
    ),
    "ts.status.resolved.text": (
        "Nous pensons que c'est réglé. Si quelque chose ne va toujours pas, répondez ci-dessous et votre "
        "demande sera rouverte."
    ),
    "ts.status.closed.text": "Cette demande est fermée. Merci de nous avoir contactés.",
    "ts.thread": "Échanges",
    "ts.from_chat": "Votre chat avec nous",
    "ts.from_ticket": "Votre demande",
    "ts.you": "Vous",
    "ts.team": "L'équipe {site}",
    "ts.bot.articles": "Articles suggérés",
    "ts.event.created": "Demande reçue",
    "ts.event.open": "Notre équipe s'en occupe",
    "ts.event.reopened": "Rouverte",
    "ts.event.pending": "En attente de votre réponse",
    "ts.event.resolved": "Marquée comme résolue",
    "ts.event.closed": "Fermée",
    "ts.answer.title": "Ajouter un message",
    "ts.answer.placeholder": "Écrivez votre message ici…",
    "ts.answer.hint": "Nous vous répondrons par e-mail et sur cette page.",
    "ts.answer.reopens": "Envoyer un message rouvre votre demande.",
    "ts.answer.send": "Envoyer",
    "ts.sent": "Votre message est envoyé. Nous vous répondrons par e-mail.",
    "ts.closed.title": "Cette demande est fermée",
    "ts.closed.text": (
        "Elle ne peut plus recevoir de messages. Pour une autre question, contactez-nous à nouveau depuis "
        "notre site."
    ),
    "ts.closed.visit": "Aller sur {site}",
    "ts.private": (
        "Cette page est privée : toute personne qui a son lien peut lire votre demande et y répondre. Merci "
        "de ne pas le partager."
    ),
    "ts.footer": "Assistance propulsée par chatsvc",
    "ts.error.closed": "Cette demande est fermée : votre message n'a pas été envoyé.",
    "ts.error.empty": "Écrivez un message avant de l'envoyer.",
    "ts.error.too_long": "Votre message est trop long : {n} caractères au plus.",
    "ts.error.rate_limited": "Trop de messages depuis votre connexion. Réessayez dans quelques minutes.",
    "ts.not_found.title": "Nous ne trouvons pas cette demande",
    "ts.not_found.text": "Le lien est peut-être incomplet ou mal recopié.",
    "ts.not_found.hint": (
        "Ouvrez-le à nouveau depuis l'e-mail que nous vous avons envoyé, ou copiez l'adresse entière dans "
        "votre navigateur."
    ),
    "ts.rate_limited.title": "Merci de patienter un instant",
    "ts.rate_limited.text": "Trop de tentatives depuis votre connexion. Réessayez dans quelques minutes.",
    "ts.cross_site.title": "Message non envoyé",
    "ts.cross_site.text": (
        "Ce formulaire a été envoyé depuis un autre site : rien n'a été envoyé. Ouvrez votre demande depuis "
        "le lien de notre e-mail et écrivez depuis cette page."
    ),
}



# --- staff ticket pages (web/ticket_pages.py, tickets_list.html, ticket_view.html) ----------------------

EN.update({
    "nav.tickets": "Tickets",
    "staff.link.tickets": "Tickets",
    "staff.link.tickets.text": "Requests that need a follow-up: reply, note, assign, and keep the SLA.",
    "notice.ticket_replied": "Your reply is sent.",
    "notice.ticket_noted": "The internal note is saved.",
    "notice.ticket_status": "The status is changed.",
    "notice.ticket_assigned": "The assignment is changed.",
    "notice.ticket_priority": "The priority is changed.",
    "tickets.eyebrow": "Support",
    "tickets.title": "Tickets",
    "tickets.intro": (
        "Requests from chats, the contact form and other channels. Filter them, open one to answer the "
        "requester, leave a note for colleagues, or pass it on."
    ),
    "tickets.export": "Export CSV",
    "tickets.views": "Views",
    "tickets.view.active": "Active",
    "tickets.view.mine": "Mine",
    "tickets.view.unassigned": "Unassigned",
    "tickets.view.breached": "SLA breached",
    "tickets.view.all": "All",
    "tickets.filter.q": "Search",
    "tickets.filter.q.placeholder": "Subject, name, email or text",
    "tickets.filter.status": "Status",
    "tickets.filter.priority": "Priority",
    "tickets.filter.assignee": "Assignee",
    "tickets.filter.team": "Team",
    "tickets.filter.sort": "Sort by",
    "tickets.filter.any": "Any priority",
    "tickets.filter.anyone": "Anyone",
    "tickets.filter.any_team": "Any team",
    "tickets.filter.me": "Me",
    "tickets.filter.unassigned": "Nobody (unassigned)",
    "tickets.filter.breached": "SLA breached only",
    "tickets.filter.flagged": "Flagged only",
    "tickets.filter.apply": "Apply filters",
    "tickets.filter.reset": "Reset filters",
    "tickets.filter.invalid": "These filters cannot be used: {detail} Nothing was searched.",
    "tickets.status.active": "Active",
    "tickets.status.all": "Any status",
    "tickets.status.new": "New",
    "tickets.status.open": "Open",
    "tickets.status.pending": "Pending",
    "tickets.status.resolved": "Resolved",
    "tickets.status.closed": "Closed",
    "tickets.status.change": "Status",
    "tickets.status.move_to": "Move to…",
    "tickets.priority.low": "Low",
    "tickets.priority.normal": "Normal",
    "tickets.priority.high": "High",
    "tickets.priority.urgent": "Urgent",
    "tickets.priority_is": "{p} priority",
    "tickets.sort.updated": "Recently updated",
    "tickets.sort.created": "Newest first",
    "tickets.sort.oldest": "Oldest first",
    "tickets.sort.due": "Due soonest",
    "tickets.sort.priority": "Priority",
    "tickets.source.chat": "chat",
    "tickets.source.form": "contact form",
    "tickets.source.abandoned": "abandoned chat",
    "tickets.source.api": "API",
    "tickets.col.subject": "Subject and requester",
    "tickets.col.status": "Status",
    "tickets.col.owner": "Assignee and team",
    "tickets.col.assignee": "Assignee",
    "tickets.col.team": "Team",
    "tickets.col.sla": "SLA",
    "tickets.col.updated": "Updated",
    "tickets.flagged": "Flagged",
    "tickets.unassigned": "Unassigned",
    "tickets.no_team": "No team",
    "tickets.nobody": "Nobody",
    "tickets.me": "me",
    "tickets.sla.left": "{d} left",
    "tickets.sla.breached_ago": "breached {d} ago",
    "tickets.sla.late": "breached",
    "tickets.sla.met": "met",
    "tickets.sla.first_response": "First response",
    "tickets.sla.resolution": "Resolution",
    "tickets.sla.business": "The clocks count business hours only.",
    "tickets.count": "{first}–{last} of {total}",
    "tickets.pages": "Pages",
    "tickets.previous": "Previous",
    "tickets.next": "Next",
    "tickets.empty": "No active ticket.",
    "tickets.empty.text": "Tickets appear here when a chat becomes a ticket or a visitor leaves a message.",
    "tickets.empty.filtered": "No ticket matches these filters.",
    "tickets.back": "All tickets",
    "tickets.opened_via": "From {source}, {when}",
    "tickets.story": "Conversation",
    "tickets.story.chat": "The chat",
    "tickets.story.ticket": "The ticket",
    "tickets.times_utc": "Times in UTC",
    "tickets.bot": "bot",
    "tickets.from.visitor": "requester",
    "tickets.from.staff": "reply",
    "tickets.note": "Internal note",
    "tickets.chat.opened": "{who} started the chat",
    "tickets.chat.queued": "{who} asked for a person",
    "tickets.chat.assigned": "{agent} joined the chat",
    "tickets.chat.transferred": "The chat was transferred to {agent}",
    "tickets.chat.requeued": "The chat went back to the queue",
    "tickets.chat.closed": "{who} closed the chat",
    "tickets.chat.choice": "{who} chose “{choice}”",
    "tickets.chat.helpful": "The visitor said the answer helped",
    "tickets.chat.not_helpful": "The visitor said the answer did not help",
    "tickets.change.created": "{who} created the ticket from {source}",
    "tickets.change.status": "{who} changed the status from {before} to {after}",
    "tickets.change.priority": "{who} changed the priority from {before} to {after}",
    "tickets.change.took": "{who} took the ticket",
    "tickets.change.released": "{who} released the ticket",
    "tickets.change.assignee": "{who} assigned the ticket to {after}",
    "tickets.change.team": "{who} moved the ticket to {after}",
    "tickets.change.other": "{who} changed the ticket",
    "tickets.closed_note": "This ticket is closed: it can no longer be answered or changed.",
    "tickets.reply": "Reply to the requester",
    "tickets.reply.placeholder": "Write your answer…",
    "tickets.reply.hint": "Sent by email to {email} and shown on their status page.",
    "tickets.reply.and_set": "and set status",
    "tickets.reply.keep": "keep as it is",
    "tickets.reply.send": "Send reply",
    "tickets.note.add": "Internal note",
    "tickets.note.placeholder": "Only staff see this…",
    "tickets.note.hint": "Never mailed, never shown to the requester.",
    "tickets.note.save": "Add note",
    "tickets.details": "Details",
    "tickets.requester": "Requester",
    "tickets.actions": "Change",
    "tickets.apply": "Apply",
    "tickets.take": "Take it",
    "tickets.release": "Release",
    "tickets.history": "Requester's history",
    "tickets.history.tickets": "Other tickets",
    "tickets.history.chats": "Chats",
    "tickets.history.none": "No other ticket or chat from this person.",
    "tickets.not_found.title": "Ticket not found",
    "tickets.not_found.text": "There is no ticket at this address, or it is not one you can see.",
    "tickets.error.transition": "A ticket that is {before} cannot become {after}. Nothing was changed.",
})

FR.update({
    "nav.tickets": "Tickets",
    "staff.link.tickets": "Tickets",
    "staff.link.tickets.text": "Les demandes à suivre : répondre, noter, attribuer, et tenir les délais (SLA).",
    "notice.ticket_replied": "Votre réponse est envoyée.",
    "notice.ticket_noted": "La note interne est enregistrée.",
    "notice.ticket_status": "Le statut est modifié.",
    "notice.ticket_assigned": "L'attribution est modifiée.",
    "notice.ticket_priority": "La priorité est modifiée.",
    "tickets.eyebrow": "Support",
    "tickets.title": "Tickets",
    "tickets.intro": (
        "Les demandes venues des chats, du formulaire de contact et d'autres canaux. Filtrez-les, ouvrez-en une "
        "pour répondre au demandeur, laisser une note aux collègues ou la confier à quelqu'un."
    ),
    "tickets.export": "Exporter en CSV",
    "tickets.views": "Vues",
    "tickets.view.active": "En cours",
    "tickets.view.mine": "Les miens",
    "tickets.view.unassigned": "Non attribués",
    "tickets.view.breached": "SLA dépassé",
    "tickets.view.all": "Tous",
    "tickets.filter.q": "Rechercher",
    "tickets.filter.q.placeholder": "Sujet, nom, e-mail ou texte",
    "tickets.filter.status": "Statut",
    "tickets.filter.priority": "Priorité",
    "tickets.filter.assignee": "Attribué à",
    "tickets.filter.team": "Équipe",
    "tickets.filter.sort": "Trier par",
    "tickets.filter.any": "Toute priorité",
    "tickets.filter.anyone": "N'importe qui",
    "tickets.filter.any_team": "Toute équipe",
    "tickets.filter.me": "Moi",
    "tickets.filter.unassigned": "Personne (non attribué)",
    "tickets.filter.breached": "SLA dépassé seulement",
    "tickets.filter.flagged": "Signalés seulement",
    "tickets.filter.apply": "Filtrer",
    "tickets.filter.reset": "Effacer les filtres",
    "tickets.filter.invalid": "Ces filtres ne sont pas utilisables : {detail} Aucune recherche n'a été faite.",
    "tickets.status.active": "En cours",
    "tickets.status.all": "Tout statut",
    "tickets.status.new": "Nouveau",
    "tickets.status.open": "Ouvert",
    "tickets.status.pending": "En attente",
    "tickets.status.resolved": "Résolu",
    "tickets.status.closed": "Fermé",
    "tickets.status.change": "Statut",
    "tickets.status.move_to": "Passer à…",
    "tickets.priority.low": "Basse",
    "tickets.priority.normal": "Normale",
    "tickets.priority.high": "Haute",
    "tickets.priority.urgent": "Urgente",
    "tickets.priority_is": "Priorité {p}",
    "tickets.sort.updated": "Mis à jour récemment",
    "tickets.sort.created": "Plus récents d'abord",
    "tickets.sort.oldest": "Plus anciens d'abord",
    "tickets.sort.due": "Échéance la plus proche",
    "tickets.sort.priority": "Priorité",
    "tickets.source.chat": "un chat",
    "tickets.source.form": "le formulaire de contact",
    "tickets.source.abandoned": "un chat abandonné",
    "tickets.source.api": "l'API",
    "tickets.col.subject": "Sujet et demandeur",
    "tickets.col.status": "Statut",
    "tickets.col.owner": "Attribution et équipe",
    "tickets.col.assignee": "Attribué à",
    "tickets.col.team": "Équipe",
    "tickets.col.sla": "SLA",
    "tickets.col.updated": "Mis à jour",
    "tickets.flagged": "Signalé",
    "tickets.unassigned": "Non attribué",
    "tickets.no_team": "Aucune équipe",
    "tickets.nobody": "Personne",
    "tickets.me": "moi",
    "tickets.sla.left": "encore {d}",
    "tickets.sla.breached_ago": "dépassé depuis {d}",
    "tickets.sla.late": "dépassé",
    "tickets.sla.met": "respecté",
    "tickets.sla.first_response": "Première réponse",
    "tickets.sla.resolution": "Résolution",
    "tickets.sla.business": "Les délais ne comptent que les heures d'ouverture.",
    "tickets.count": "{first}–{last} sur {total}",
    "tickets.pages": "Pages",
    "tickets.previous": "Précédent",
    "tickets.next": "Suivant",
    "tickets.empty": "Aucun ticket en cours.",
    "tickets.empty.text": "Les tickets apparaissent ici quand un chat devient un ticket ou qu'un visiteur laisse un message.",
    "tickets.empty.filtered": "Aucun ticket ne correspond à ces filtres.",
    "tickets.back": "Tous les tickets",
    "tickets.opened_via": "Depuis {source}, le {when}",
    "tickets.story": "Échanges",
    "tickets.story.chat": "Le chat",
    "tickets.story.ticket": "Le ticket",
    "tickets.times_utc": "Heures en UTC",
    "tickets.bot": "bot",
    "tickets.from.visitor": "demandeur",
    "tickets.from.staff": "réponse",
    "tickets.note": "Note interne",
    "tickets.chat.opened": "{who} a commencé le chat",
    "tickets.chat.queued": "{who} a demandé à parler à quelqu'un",
    "tickets.chat.assigned": "{agent} a rejoint le chat",
    "tickets.chat.transferred": "Le chat a été transféré à {agent}",
    "tickets.chat.requeued": "Le chat est revenu dans la file d'attente",
    "tickets.chat.closed": "{who} a fermé le chat",
    "tickets.chat.choice": "{who} a choisi « {choice} »",
    "tickets.chat.helpful": "Le visiteur a indiqué que la réponse l'a aidé",
    "tickets.chat.not_helpful": "Le visiteur a indiqué que la réponse ne l'a pas aidé",
    "tickets.change.created": "{who} a créé le ticket depuis {source}",
    "tickets.change.status": "{who} a changé le statut de {before} à {after}",
    "tickets.change.priority": "{who} a changé la priorité de {before} à {after}",
    "tickets.change.took": "{who} a pris le ticket",
    "tickets.change.released": "{who} a libéré le ticket",
    "tickets.change.assignee": "{who} a attribué le ticket à {after}",
    "tickets.change.team": "{who} a confié le ticket à l'équipe {after}",
    "tickets.change.other": "{who} a modifié le ticket",
    "tickets.closed_note": "Ce ticket est fermé : on ne peut plus y répondre ni le modifier.",
    "tickets.reply": "Répondre au demandeur",
    "tickets.reply.placeholder": "Écrivez votre réponse…",
    "tickets.reply.hint": "Envoyée par e-mail à {email} et visible sur sa page de suivi.",
    "tickets.reply.and_set": "et passer le statut à",
    "tickets.reply.keep": "inchangé",
    "tickets.reply.send": "Envoyer la réponse",
    "tickets.note.add": "Note interne",
    "tickets.note.placeholder": "Seule l'équipe voit ceci…",
    "tickets.note.hint": "Jamais envoyée par e-mail, jamais montrée au demandeur.",
    "tickets.note.save": "Ajouter la note",
    "tickets.details": "Détails",
    "tickets.requester": "Demandeur",
    "tickets.actions": "Modifier",
    "tickets.apply": "Appliquer",
    "tickets.take": "Le prendre",
    "tickets.release": "Le libérer",
    "tickets.history": "Historique du demandeur",
    "tickets.history.tickets": "Autres tickets",
    "tickets.history.chats": "Chats",
    "tickets.history.none": "Aucun autre ticket ni chat de cette personne.",
    "tickets.not_found.title": "Ticket introuvable",
    "tickets.not_found.text": "Il n'y a pas de ticket à cette adresse, ou vous ne pouvez pas le voir.",
    "tickets.error.transition": "Un ticket {before} ne peut pas passer à {after}. Rien n'a été modifié.",
})


# --- the manager page (issue 7): live panel, period figures, charts, CSV ------------------------------------
EN.update({
    "manager.title": "Manager stats",
    "manager.eyebrow": "Manager",
    "manager.intro": "The queue right now, then how the team did over a period you choose.",
    "manager.live.title": "Right now",
    "manager.live.state.connecting": "Connecting…",
    "manager.live.state.live": "Live",
    "manager.live.state.offline": "Offline, retrying",
    "manager.live.waiting": "Waiting now",
    "manager.live.longest_wait": "Longest wait",
    "manager.live.estimated_wait": "Estimated wait",
    "manager.live.estimated_wait.hint": "for a visitor joining now",
    "manager.live.in_progress": "With an agent",
    "manager.live.bot": "With the bot",
    "manager.live.agents": "Agents",
    # After a count in the Agents tile: "2 online", "1 away" (the script picks .one or .other for the count).
    "manager.live.agents_online.one": "online",
    "manager.live.agents_online.other": "online",
    "manager.live.agents_away.one": "away",
    "manager.live.agents_away.other": "away",
    "manager.live.agents_offline.one": "offline",
    "manager.live.agents_offline.other": "offline",
    "manager.live.today": "Today so far",
    "manager.live.today_conversations": "Conversations",
    "manager.live.today_deflection": "Resolved by the bot",
    "manager.live.today_first_response": "First response (median)",
    "manager.live.today_abandoned": "Abandoned",
    "manager.live.today_tickets": "Tickets created",
    "manager.live.today_csat": "CSAT",
    "manager.live.agents.title": "Agents and their load",
    "manager.live.agents.none": "No agent account yet.",
    "manager.live.col.agent": "Agent",
    "manager.live.col.status": "Status",
    "manager.live.col.load": "Load",
    "manager.live.load.one": "{load} of {capacity} chat",
    "manager.live.load.other": "{load} of {capacity} chats",
    "manager.live.presence_note": "An agent counts as connected while any server process holds one of their "
    "connections; an agent whose connection drops keeps their chats for a short grace period.",
    "manager.status.online": "Online",
    "manager.status.away": "Away",
    "manager.status.offline": "Offline",
    "manager.period.title": "Over a period",
    "manager.period.label": "Period",
    "manager.period.today": "Today",
    "manager.period.7d": "Last 7 days",
    "manager.period.30d": "Last 30 days",
    "manager.period.custom": "Custom dates",
    "manager.period.from": "From",
    "manager.period.to": "To",
    "manager.period.shown": "{first} to {last} ({zone} time)",
    "manager.period.shown.one": "{first} ({zone} time)",
    "manager.filter.site": "Site",
    "manager.filter.team": "Team",
    "manager.filter.agent": "Agent",
    "manager.filter.any_site": "All sites",
    "manager.filter.any_team": "All teams",
    "manager.filter.any_agent": "All agents",
    "manager.filter.apply": "Show",
    "manager.filter.reset": "Reset",
    "manager.filter.invalid": "This choice is not valid: {field}. Nothing is shown until it is fixed.",
    "manager.filter.invalid.dates": (
        "Dates are written YYYY-MM-DD, the first on or before the last, 366 days at most, years 2000 to 2100."
    ),
    "manager.filter.unknown": "an unknown parameter",
    "manager.fig.conversations": "Conversations",
    "manager.fig.conversations.def": "Chats started in the period (by their start time), matching the filters.",
    "manager.fig.handed_off": "handed to a person",
    "manager.fig.answered": "answered by a person",
    "manager.fig.deflection_rate": "Deflection rate",
    "manager.fig.deflection_rate.def": (
        "Conversations the bot resolved ÷ all conversations started in the period, those still open included: "
        "a chat in progress counts but is not resolved yet, so early in the day the rate is low."
    ),
    "manager.fig.bot_resolved": "resolved by the bot",
    "manager.fig.first_response": "First response",
    "manager.fig.first_response.median": "First response (median)",
    "manager.fig.first_response.def": (
        "From the handoff to a person to that person's first reply, over answered chats: the median and the "
        "90th percentile (nearest rank)."
    ),
    "manager.fig.first_response_median_seconds": "median",
    "manager.fig.first_response_p90_seconds": "90th percentile",
    "manager.fig.handling_average_seconds": "Average handling time",
    "manager.fig.handling_average_seconds.def": "From the first assignment to an agent to the close, over closed chats.",
    "manager.fig.abandonment_rate": "Abandonment rate",
    "manager.fig.abandonment_rate.def": (
        "Chats handed to a person that were closed by the visitor or the system before anyone answered ÷ chats "
        "handed to a person."
    ),
    "manager.fig.abandoned": "abandoned",
    "manager.fig.resolution_rate": "Resolution rate",
    "manager.fig.resolution_rate.def": (
        "Closed chats that were resolved (by the bot, or answered by a person, and not turned into a ticket) "
        "÷ closed chats."
    ),
    "manager.fig.resolved": "resolved",
    "manager.fig.closed": "closed",
    "manager.fig.fcr_rate": "First contact resolution",
    "manager.fig.fcr_rate.def": (
        "Resolved chats whose visitor started no other chat and opened no ticket in the next 7 days ÷ closed chats."
    ),
    "manager.fig.first_contact_resolved": "resolved at first contact",
    "manager.fig.tickets_created": "Tickets created",
    "manager.fig.tickets_created.def": (
        "Tickets created in the period. A breach: a first answer or a resolution later than its SLA due time, "
        "or still missing after it."
    ),
    "manager.fig.sla_breaches": "SLA breaches",
    "manager.fig.csat": "CSAT",
    "manager.fig.csat.def": "Share of end-of-chat ratings of 4 or 5 out of 5.",
    "manager.fig.csat_responses": "ratings",
    "manager.fig.nps": "NPS",
    "manager.fig.nps.def": "% of answers 9–10 minus % of answers 0–6, on a 0–10 scale (from −100 to +100).",
    "manager.fig.nps_responses": "answers",
    "manager.fig.ces": "CES",
    "manager.fig.ces.def": "Mean customer effort score, answers from 1 to 7.",
    "manager.fig.ces_responses": "answers",
    # A card's lines after their count: "1 rating", "116 ratings" (.one or .other for the count).
    "manager.fig.line.handed_off.one": "handed to a person",
    "manager.fig.line.handed_off.other": "handed to a person",
    "manager.fig.line.answered.one": "answered by a person",
    "manager.fig.line.answered.other": "answered by a person",
    "manager.fig.line.bot_resolved.one": "resolved by the bot",
    "manager.fig.line.bot_resolved.other": "resolved by the bot",
    "manager.fig.line.abandoned.one": "abandoned",
    "manager.fig.line.abandoned.other": "abandoned",
    "manager.fig.line.resolved.one": "resolved",
    "manager.fig.line.resolved.other": "resolved",
    "manager.fig.line.closed.one": "closed",
    "manager.fig.line.closed.other": "closed",
    "manager.fig.line.first_contact_resolved.one": "resolved at first contact",
    "manager.fig.line.first_contact_resolved.other": "resolved at first contact",
    "manager.fig.line.sla_breaches.one": "SLA breach",
    "manager.fig.line.sla_breaches.other": "SLA breaches",
    "manager.fig.line.csat_responses.one": "rating",
    "manager.fig.line.csat_responses.other": "ratings",
    "manager.fig.line.nps_responses.one": "answer",
    "manager.fig.line.nps_responses.other": "answers",
    "manager.fig.line.ces_responses.one": "answer",
    "manager.fig.line.ces_responses.other": "answers",
    "manager.fig.how": "How it is counted",
    "manager.fig.none": "— means there was nothing to count in this period.",
    "manager.fig.docs": "Every figure is defined in docs/metrics.md.",
    "manager.charts.title": "Over time",
    "manager.agents.title": "By agent",
    "manager.agents.none": "No chat was held by an agent in this period.",
    "manager.agents.col.agent": "Agent",
    "manager.agents.col.conversations": "Conversations",
    "manager.agents.col.first_response": "First response (median)",
    "manager.agents.col.handling": "Average handling",
    "manager.agents.col.csat": "CSAT",
    "manager.unanswered.title": "Questions the bot could not answer",
    "manager.unanswered.intro": "Grouped by similarity, the most asked first. An article on one closes the loop.",
    "manager.unanswered.none": "The bot had an answer for every question in this period.",
    "manager.unanswered.asked.one": "asked once",
    "manager.unanswered.asked.other": "asked {n} times",
    "manager.unanswered.last": "last {when}",
    "manager.unanswered.also": "Also asked as:",
    "manager.unanswered.also.count": "Also asked as ({n})",
    "manager.unanswered.create": "Create article",
    "manager.csv": "CSV",
    "manager.csv.label": "Download {table} as CSV",
    "manager.csv.short.hourly": "CSV by hour",
    "manager.csv.short.daily": "CSV by day",
    "manager.csv.summary": "the figures",
    "manager.csv.hourly": "the hourly figures",
    "manager.csv.daily": "the daily figures",
    "manager.csv.agents": "the figures by agent",
    "manager.csv.unanswered": "the unanswered questions",
    "manager.csv.col.key": "Key",
    "manager.csv.col.figure": "Figure",
    "manager.csv.col.value": "Value",
    "manager.csv.col.hour": "Hour (local)",
    "manager.csv.col.day": "Day",
    "manager.csv.col.conversations": "Conversations",
    "manager.csv.col.wait_average_seconds": "Average wait (seconds)",
    "manager.csv.col.waits": "Chats that waited",
    "manager.csv.col.bot_resolved": "Resolved by the bot",
    "manager.csv.col.deflection_rate": "Deflection rate (0-1)",
    "manager.csv.col.csat": "CSAT (0-1)",
    "manager.csv.col.csat_responses": "CSAT ratings",
    "manager.csv.col.agent_id": "Agent id",
    "manager.csv.col.agent": "Agent",
    "manager.csv.col.first_response_median_seconds": "First response, median (seconds)",
    "manager.csv.col.handling_average_seconds": "Average handling time (seconds)",
    "manager.csv.col.question": "Question",
    "manager.csv.col.count": "Times asked",
    "manager.csv.col.last_asked": "Last asked",
    "manager.csv.col.examples": "Also asked as",
    "manager.csv.fig.csat_responses": "CSAT ratings",
    "manager.csv.fig.nps_responses": "NPS answers",
    "manager.csv.fig.ces_responses": "CES answers",
    "manager.csv.col.covered_by": "Now answered by (article id)",
    "manager.filter.invalid.because": "This choice is not valid: {field}. {reason} Nothing is shown until it is fixed.",
    "manager.reason.needs_date": "Custom dates need “{field}”.",
    "manager.reason.date_format": "“{field}” must be a date written YYYY-MM-DD.",
    "manager.reason.not_a_date": "“{field}” is not a real date.",
    "manager.reason.year_range": "“{field}” must be between {low} and {high}.",
    "manager.reason.period": "The period must be Today, Last 7 days, Last 30 days or Custom dates.",
    "manager.reason.to_before_from": "“{to}” must not be before “{from}”.",
    "manager.reason.too_long": "A period is at most {n} days long.",
    "manager.reason.no_such.site": "There is no such site (it may have been deleted).",
    "manager.reason.no_such.team": "There is no such team (it may have been deleted).",
    "manager.reason.no_such.agent": "There is no such agent (the account may have been deleted).",
    "manager.reason.unknown_param": "The address holds a parameter this page does not know.",
    "manager.reason.repeated": "The address gives it more than once.",
    "manager.reason.bad_value": "The value is not valid.",
    "manager.empty.period": "No conversations in this period.",
    "manager.empty.filtered": "No conversations match this period and filter.",
    "manager.active.filters": "Showing only",
    "manager.active.site": "site {name}",
    "manager.active.team": "team {name}",
    "manager.active.agent": "agent {name}",
    "manager.active.clear": "Clear filters",
    "manager.unanswered.covered": "Now answered by:",
    "manager.unanswered.covered.edit": "Edit the article “{title}”",
    "chart.conversations.hourly": "Conversations per hour",
    "chart.conversations.daily": "Conversations per day",
    "chart.wait.hourly": "Average wait per hour",
    "chart.wait.daily": "Average wait per day",
    "chart.deflection.daily": "Deflection rate per day",
    "chart.csat.daily": "CSAT per day",
    "chart.empty": "Nothing to show in this period.",
    "chart.tip": "{when}: {value}",
    "chart.desc.total": "{total} in all; the most: {value} ({when}).",
    "chart.desc.range": "From {low} ({low_when}) to {value} ({when}).",
    "chart.col.hour": "Hour (local)",
    "chart.col.day": "Day",
    "chart.col.conversations": "Conversations",
    "chart.col.wait": "Average wait",
    "chart.col.waits": "Chats that waited",
    "chart.col.deflection_rate": "Deflection rate",
    "chart.col.bot_resolved": "Resolved by the bot",
    "chart.col.csat": "CSAT",
    "chart.col.csat_responses": "Ratings",
})

FR.update({
    "manager.title": "Statistiques de l'équipe",
    "manager.eyebrow": "Responsable",
    "manager.intro": "La file en ce moment, puis le bilan de l'équipe sur la période de votre choix.",
    "manager.live.title": "En ce moment",
    "manager.live.state.connecting": "Connexion…",
    "manager.live.state.live": "En direct",
    "manager.live.state.offline": "Hors ligne, nouvelle tentative",
    "manager.live.waiting": "En attente",
    "manager.live.longest_wait": "Plus longue attente",
    "manager.live.estimated_wait": "Attente estimée",
    "manager.live.estimated_wait.hint": "pour un visiteur qui arrive",
    "manager.live.in_progress": "Avec un agent",
    "manager.live.bot": "Avec le bot",
    "manager.live.agents": "Agents",
    "manager.live.agents_online.one": "en ligne",
    "manager.live.agents_online.other": "en ligne",
    "manager.live.agents_away.one": "absent",
    "manager.live.agents_away.other": "absents",
    "manager.live.agents_offline.one": "hors ligne",
    "manager.live.agents_offline.other": "hors ligne",
    "manager.live.today": "Aujourd'hui",
    "manager.live.today_conversations": "Conversations",
    "manager.live.today_deflection": "Résolues par le bot",
    "manager.live.today_first_response": "Première réponse (médiane)",
    "manager.live.today_abandoned": "Abandons",
    "manager.live.today_tickets": "Tickets créés",
    "manager.live.today_csat": "CSAT",
    "manager.live.agents.title": "Agents et leur charge",
    "manager.live.agents.none": "Aucun compte agent pour l'instant.",
    "manager.live.col.agent": "Agent",
    "manager.live.col.status": "Statut",
    "manager.live.col.load": "Charge",
    "manager.live.load.one": "{load} chat sur {capacity}",
    "manager.live.load.other": "{load} chats sur {capacity}",
    "manager.live.presence_note": "Un agent compte comme connecté tant qu'un processus serveur garde une de ses "
    "connexions ; un agent dont la connexion tombe garde ses discussions pendant un court délai de grâce.",
    "manager.status.online": "En ligne",
    "manager.status.away": "Absent",
    "manager.status.offline": "Hors ligne",
    "manager.period.title": "Sur une période",
    "manager.period.label": "Période",
    "manager.period.today": "Aujourd'hui",
    "manager.period.7d": "7 derniers jours",
    "manager.period.30d": "30 derniers jours",
    "manager.period.custom": "Dates choisies",
    "manager.period.from": "Du",
    "manager.period.to": "Au",
    "manager.period.shown": "Du {first} au {last} (fuseau {zone})",
    "manager.period.shown.one": "Le {first} (fuseau {zone})",
    "manager.filter.site": "Site",
    "manager.filter.team": "Équipe",
    "manager.filter.agent": "Agent",
    "manager.filter.any_site": "Tous les sites",
    "manager.filter.any_team": "Toutes les équipes",
    "manager.filter.any_agent": "Tous les agents",
    "manager.filter.apply": "Afficher",
    "manager.filter.reset": "Réinitialiser",
    "manager.filter.invalid": "Ce choix n'est pas valide : {field}. Rien n'est affiché tant qu'il n'est pas corrigé.",
    "manager.filter.invalid.dates": (
        "Les dates s'écrivent AAAA-MM-JJ, la première au plus tard le jour de la dernière, 366 jours au plus, "
        "années 2000 à 2100."
    ),
    "manager.filter.unknown": "un paramètre inconnu",
    "manager.fig.conversations": "Conversations",
    "manager.fig.conversations.def": "Chats commencés pendant la période (selon leur heure de début), selon les filtres.",
    "manager.fig.handed_off": "passées à une personne",
    "manager.fig.answered": "répondues par une personne",
    "manager.fig.deflection_rate": "Taux de déflexion",
    "manager.fig.deflection_rate.def": (
        "Conversations résolues par le bot ÷ toutes les conversations commencées pendant la période, y compris "
        "celles encore ouvertes : un chat en cours compte mais n'est pas encore résolu, aussi le taux est bas en "
        "début de journée."
    ),
    "manager.fig.bot_resolved": "résolues par le bot",
    "manager.fig.first_response": "Première réponse",
    "manager.fig.first_response.median": "Première réponse (médiane)",
    "manager.fig.first_response.def": (
        "Du passage à une personne à sa première réponse, sur les chats répondus : la médiane et le 90e centile "
        "(rang le plus proche)."
    ),
    "manager.fig.first_response_median_seconds": "médiane",
    "manager.fig.first_response_p90_seconds": "90e centile",
    "manager.fig.handling_average_seconds": "Durée moyenne de traitement",
    "manager.fig.handling_average_seconds.def": (
        "De la première attribution à un agent jusqu'à la fermeture, sur les chats fermés."
    ),
    "manager.fig.abandonment_rate": "Taux d'abandon",
    "manager.fig.abandonment_rate.def": (
        "Chats passés à une personne et fermés par le visiteur ou le système avant toute réponse ÷ chats passés "
        "à une personne."
    ),
    "manager.fig.abandoned": "abandons",
    "manager.fig.resolution_rate": "Taux de résolution",
    "manager.fig.resolution_rate.def": (
        "Chats fermés et résolus (par le bot, ou répondus par une personne, sans devenir un ticket) ÷ chats fermés."
    ),
    "manager.fig.resolved": "résolues",
    "manager.fig.closed": "fermées",
    "manager.fig.fcr_rate": "Résolution au premier contact",
    "manager.fig.fcr_rate.def": (
        "Chats résolus dont le visiteur n'a ouvert ni autre chat ni ticket dans les 7 jours suivants ÷ chats fermés."
    ),
    "manager.fig.first_contact_resolved": "résolues au premier contact",
    "manager.fig.tickets_created": "Tickets créés",
    "manager.fig.tickets_created.def": (
        "Tickets créés pendant la période. Un dépassement : une première réponse ou une résolution arrivée après "
        "l'échéance du SLA, ou toujours absente après elle."
    ),
    "manager.fig.sla_breaches": "dépassements de SLA",
    "manager.fig.csat": "CSAT",
    "manager.fig.csat.def": "Part des notes de fin de chat de 4 ou 5 sur 5.",
    "manager.fig.csat_responses": "notes",
    "manager.fig.nps": "NPS",
    "manager.fig.nps.def": "% de réponses 9–10 moins % de réponses 0–6, sur une échelle de 0 à 10 (de −100 à +100).",
    "manager.fig.nps_responses": "réponses",
    "manager.fig.ces": "CES",
    "manager.fig.ces.def": "Score d'effort moyen, réponses de 1 à 7.",
    "manager.fig.ces_responses": "réponses",
    "manager.fig.line.handed_off.one": "passée à une personne",
    "manager.fig.line.handed_off.other": "passées à une personne",
    "manager.fig.line.answered.one": "répondue par une personne",
    "manager.fig.line.answered.other": "répondues par une personne",
    "manager.fig.line.bot_resolved.one": "résolue par le bot",
    "manager.fig.line.bot_resolved.other": "résolues par le bot",
    "manager.fig.line.abandoned.one": "abandon",
    "manager.fig.line.abandoned.other": "abandons",
    "manager.fig.line.resolved.one": "résolue",
    "manager.fig.line.resolved.other": "résolues",
    "manager.fig.line.closed.one": "fermée",
    "manager.fig.line.closed.other": "fermées",
    "manager.fig.line.first_contact_resolved.one": "résolue au premier contact",
    "manager.fig.line.first_contact_resolved.other": "résolues au premier contact",
    "manager.fig.line.sla_breaches.one": "dépassement de SLA",
    "manager.fig.line.sla_breaches.other": "dépassements de SLA",
    "manager.fig.line.csat_responses.one": "note",
    "manager.fig.line.csat_responses.other": "notes",
    "manager.fig.line.nps_responses.one": "réponse",
    "manager.fig.line.nps_responses.other": "réponses",
    "manager.fig.line.ces_responses.one": "réponse",
    "manager.fig.line.ces_responses.other": "réponses",
    "manager.fig.how": "Mode de calcul",
    "manager.fig.none": "— signifie qu'il n'y avait rien à compter sur cette période.",
    "manager.fig.docs": "Chaque chiffre est défini dans docs/metrics.md.",
    "manager.charts.title": "Dans le temps",
    "manager.agents.title": "Par agent",
    "manager.agents.none": "Aucun chat n'a été pris par un agent sur cette période.",
    "manager.agents.col.agent": "Agent",
    "manager.agents.col.conversations": "Conversations",
    "manager.agents.col.first_response": "Première réponse (médiane)",
    "manager.agents.col.handling": "Traitement moyen",
    "manager.agents.col.csat": "CSAT",
    "manager.unanswered.title": "Questions restées sans réponse du bot",
    "manager.unanswered.intro": (
        "Regroupées par ressemblance, les plus posées d'abord. Un article sur l'une d'elles boucle la boucle."
    ),
    "manager.unanswered.none": "Le bot avait une réponse à chaque question sur cette période.",
    "manager.unanswered.asked.one": "posée une fois",
    "manager.unanswered.asked.other": "posée {n} fois",
    "manager.unanswered.last": "dernière fois {when}",
    "manager.unanswered.also": "Aussi formulée :",
    "manager.unanswered.also.count": "Autres formulations ({n})",
    "manager.unanswered.create": "Créer un article",
    "manager.csv": "CSV",
    "manager.csv.label": "Télécharger {table} en CSV",
    "manager.csv.short.hourly": "CSV par heure",
    "manager.csv.short.daily": "CSV par jour",
    "manager.csv.summary": "les chiffres",
    "manager.csv.hourly": "les chiffres par heure",
    "manager.csv.daily": "les chiffres par jour",
    "manager.csv.agents": "les chiffres par agent",
    "manager.csv.unanswered": "les questions sans réponse",
    "manager.csv.col.key": "Clé",
    "manager.csv.col.figure": "Indicateur",
    "manager.csv.col.value": "Valeur",
    "manager.csv.col.hour": "Heure (locale)",
    "manager.csv.col.day": "Jour",
    "manager.csv.col.conversations": "Conversations",
    "manager.csv.col.wait_average_seconds": "Attente moyenne (secondes)",
    "manager.csv.col.waits": "Chats ayant attendu",
    "manager.csv.col.bot_resolved": "Résolues par le bot",
    "manager.csv.col.deflection_rate": "Taux de déflexion (0-1)",
    "manager.csv.col.csat": "CSAT (0-1)",
    "manager.csv.col.csat_responses": "Notes CSAT",
    "manager.csv.col.agent_id": "Id de l'agent",
    "manager.csv.col.agent": "Agent",
    "manager.csv.col.first_response_median_seconds": "Première réponse, médiane (secondes)",
    "manager.csv.col.handling_average_seconds": "Durée moyenne de traitement (secondes)",
    "manager.csv.col.question": "Question",
    "manager.csv.col.count": "Nombre de fois",
    "manager.csv.col.last_asked": "Dernière fois",
    "manager.csv.col.examples": "Autres formulations",
    "manager.csv.fig.csat_responses": "Notes CSAT",
    "manager.csv.fig.nps_responses": "Réponses NPS",
    "manager.csv.fig.ces_responses": "Réponses CES",
    "manager.csv.col.covered_by": "Désormais traitée par (id de l'article)",
    "manager.filter.invalid.because": "Ce choix n'est pas valide : {field}. {reason} Rien n'est affiché tant qu'il n'est pas corrigé.",
    "manager.reason.needs_date": "Des dates choisies demandent « {field} ».",
    "manager.reason.date_format": "« {field} » doit être une date écrite AAAA-MM-JJ.",
    "manager.reason.not_a_date": "« {field} » n'est pas une date qui existe.",
    "manager.reason.year_range": "« {field} » doit être entre {low} et {high}.",
    "manager.reason.period": "La période doit être Aujourd'hui, 7 derniers jours, 30 derniers jours ou Dates choisies.",
    "manager.reason.to_before_from": "« {to} » ne doit pas être avant « {from} ».",
    "manager.reason.too_long": "Une période dure au plus {n} jours.",
    "manager.reason.no_such.site": "Ce site n'existe pas (il a peut-être été supprimé).",
    "manager.reason.no_such.team": "Cette équipe n'existe pas (elle a peut-être été supprimée).",
    "manager.reason.no_such.agent": "Cet agent n'existe pas (le compte a peut-être été supprimé).",
    "manager.reason.unknown_param": "L'adresse contient un paramètre que cette page ne connaît pas.",
    "manager.reason.repeated": "L'adresse le donne plus d'une fois.",
    "manager.reason.bad_value": "La valeur n'est pas valide.",
    "manager.empty.period": "Aucune conversation sur cette période.",
    "manager.empty.filtered": "Aucune conversation ne correspond à cette période et à ce filtre.",
    "manager.active.filters": "Seulement",
    "manager.active.site": "site {name}",
    "manager.active.team": "équipe {name}",
    "manager.active.agent": "agent {name}",
    "manager.active.clear": "Retirer les filtres",
    "manager.unanswered.covered": "Désormais traitée par :",
    "manager.unanswered.covered.edit": "Modifier l'article « {title} »",
    "chart.conversations.hourly": "Conversations par heure",
    "chart.conversations.daily": "Conversations par jour",
    "chart.wait.hourly": "Attente moyenne par heure",
    "chart.wait.daily": "Attente moyenne par jour",
    "chart.deflection.daily": "Taux de déflexion par jour",
    "chart.csat.daily": "CSAT par jour",
    "chart.empty": "Rien à afficher sur cette période.",
    "chart.tip": "{when} : {value}",
    "chart.desc.total": "{total} au total ; le plus : {value} ({when}).",
    "chart.desc.range": "De {low} ({low_when}) à {value} ({when}).",
    "chart.col.hour": "Heure (locale)",
    "chart.col.day": "Jour",
    "chart.col.conversations": "Conversations",
    "chart.col.wait": "Attente moyenne",
    "chart.col.waits": "Chats ayant attendu",
    "chart.col.deflection_rate": "Taux de déflexion",
    "chart.col.bot_resolved": "Résolues par le bot",
    "chart.col.csat": "CSAT",
    "chart.col.csat_responses": "Notes",
})


def french_spacing(text: str) -> str:
    """Non-breaking spaces where French typography puts a space (before : ; ? ! and inside « »), so the
    punctuation never wraps to the start of a line on its own."""
    for mark in (":", ";", "?", "!", "»"):
        text = text.replace(" " + mark, "\u00a0" + mark)
    return text.replace("« ", "«\u00a0")


FR = {key: french_spacing(text) for key, text in FR.items()}

STRINGS: dict[str, dict[str, str]] = {"en": EN, "fr": FR}

# The fixed sentences our services refuse with, in the other languages. Sentences that embed a value (an
# origin, a topic) are not listed: they show the generic sentence for their code with the detail after it.
SERVICE_MESSAGES: dict[str, dict[str, str]] = {
    "fr": {
        "Only administrators can change the bot's menu.": "Seuls les administrateurs peuvent modifier le menu du bot.",
        "Only administrators can change shared canned responses.": (
            "Seuls les administrateurs peuvent modifier les réponses types partagées."
        ),
        "No such canned response.": "Réponse type introuvable.",
        "That shortcut is already used.": "Ce raccourci est déjà utilisé.",
        "A shortcut is 1 to 40 lower-case letters, digits, '-' or '_', starting with a letter or digit.": (
            "Un raccourci fait de 1 à 40 caractères : lettres minuscules, chiffres, « - » ou « _ », en commençant "
            "par une lettre ou un chiffre."
        ),
        f"The title must be 1 to {CANNED_MAX_TITLE} characters on one line.": (
            f"Le titre fait de 1 à {CANNED_MAX_TITLE} caractères sur une ligne."
        ),
        f"The text must be 1 to {CANNED_MAX_BODY} characters.": (
            f"Le texte fait de 1 à {CANNED_MAX_BODY} caractères."
        ),
        "The text contains control characters.": "Le texte contient des caractères de contrôle.",
        f"At most {MAX_CANNED_PER_OWNER} canned responses per person, and as many shared.": (
            f"Au plus {MAX_CANNED_PER_OWNER} réponses types par personne, et autant de partagées."
        ),
        "The current password is wrong.": "Le mot de passe actuel est incorrect.",
        "The new password must differ from the current one.": (
            "Le nouveau mot de passe doit être différent de l'actuel."
        ),
        "The password is too long.": "Le mot de passe est trop long.",
        "That is not an email address.": "Ce n'est pas une adresse e-mail.",
        "A user with that email already exists.": "Un utilisateur a déjà cette adresse e-mail.",
        "A site with that key already exists.": "Un site a déjà cette clé.",
        "The role must be agent, manager or admin.": "Le rôle doit être agent, responsable ou administrateur.",
        "The name must be 1 to 120 characters on one line.": "Le nom doit faire de 1 à 120 caractères sur une ligne.",
        "The team name must be 1 to 120 characters on one line.": (
            "Le nom de l'équipe doit faire de 1 à 120 caractères sur une ligne."
        ),
        "You cannot disable your own account.": "Vous ne pouvez pas désactiver votre propre compte.",
        "At least one enabled admin must remain.": "Il doit rester au moins un administrateur actif.",
        "A site key is 1 to 64 lower-case letters, digits, '-' or '_', starting with a letter or digit.": (
            "Une clé de site fait de 1 à 64 caractères : lettres minuscules, chiffres, « - » ou « _ », en "
            "commençant par une lettre ou un chiffre."
        ),
        "The team name is taken, a topic belongs to another team already, or a member does not exist.": (
            "Le nom d'équipe est pris, un sujet appartient déjà à une autre équipe, ou un membre n'existe pas."
        ),
        "This page is for administrators.": "Cette page est réservée aux administrateurs.",
        "No such user.": "Utilisateur introuvable.",
        "No such site.": "Site introuvable.",
        "No such team.": "Équipe introuvable.",
        "The form could not be read.": "Le formulaire n'a pas pu être lu.",
        "The form is too large.": "Le formulaire est trop volumineux.",
        "Concurrent chats must be a whole number.": "Les chats simultanés doivent être un nombre entier.",
        f"The password must have at least {MIN_PASSWORD_LENGTH} characters.": (
            f"Le mot de passe doit faire au moins {MIN_PASSWORD_LENGTH} caractères."
        ),
        "No such article.": "Article introuvable.",
        "An article with that id already exists.": "Un article a déjà cet identifiant.",
        "Admins and managers only.": "Réservé aux administrateurs et aux responsables.",
        "This page is for administrators and managers.": (
            "Cette page est réservée aux administrateurs et aux responsables."
        ),
        f"The title must be 1 to {MAX_TITLE} characters on one line.": (
            f"Le titre doit faire de 1 à {MAX_TITLE} caractères sur une ligne."
        ),
        f"The body must be at most {MAX_BODY:,} characters.": (
            f"La réponse doit faire au plus {MAX_BODY:,} caractères.".replace(",", " ")
        ),
        f"At most {MAX_ALT} alternative phrasings per article.": (
            f"Au plus {MAX_ALT} autres formulations par article."
        ),
        f"At most {MAX_TAGS} tags per article.": f"Au plus {MAX_TAGS} étiquettes par article.",
        "The language must be a code of 2 to 8 letters, such as en or fr.": (
            "La langue doit être un code de 2 à 8 lettres, comme en ou fr."
        ),
        f"max_chats must be between 1 and {MAX_CHATS}.": (
            f"Le nombre de chats simultanés doit être compris entre 1 et {MAX_CHATS}."
        ),
        # tickets: what admins configure
        "No such rule.": "Règle introuvable.",
        "The rule needs a name.": "La règle a besoin d'un nom.",
        "The rule name must be on one line, without control characters.": (
            "Le nom de la règle tient sur une ligne, sans caractère de contrôle."
        ),
        NO_OUTCOME: "Une règle doit fixer une équipe, un agent ou une priorité.",
        STALE_REFERENCE: (
            "Une équipe, un agent ou un site que nomme cette règle vient d'être supprimé. Rechargez la page et "
            "réessayez."
        ),
        f"At most {MAX_RULES} rules are allowed.": f"Au plus {MAX_RULES} règles.",
        "The first response cannot be due after the resolution.": (
            "La première réponse ne peut pas être due après la résolution."
        ),
        "The time zone must be a name such as Europe/Paris.": (
            "Le fuseau horaire doit être un nom comme Europe/Paris."
        ),
        "Unknown action.": "Action inconnue.",
    },
}

# Why a bot menu is refused (``domain.menu.MESSAGES``, same reasons and parameters), in the other languages:
# the menu editor shows the whole sentence translated, naming the button at fault.
MENU_ERRORS: dict[str, dict[str, str]] = {
    "fr": {
        "label_missing": "Chaque bouton a besoin d'un libellé.",
        "label_invalid": "Un libellé fait de 1 à {max} caractères sur une ligne : « {value} ».",
        "label_fr_invalid": "Un libellé en français fait de 1 à {max} caractères sur une ligne : « {value} ».",
        "id_invalid": "Identifiant de bouton non valide : « {value} ».",
        "parent_invalid": "Identifiant de bouton parent non valide : « {value} ».",
        "action_invalid": "Choisissez ce que fait chaque bouton : {actions}.",
        "answer_missing": "Le bouton « {label} » répond par un texte : écrivez-le.",
        "answer_long": "La réponse de « {label} » dépasse {max} caractères.",
        "article_missing": "Le bouton « {label} » montre un article : choisissez lequel.",
        "article_unknown": "Le bouton « {label} » renvoie à un article qui n'existe pas ({value}).",
        "topic_invalid": (
            "Le sujet de « {label} » fait de 1 à 40 caractères : lettres minuscules, chiffres, « - » ou « _ », "
            "comme facturation."
        ),
        "payload_unexpected": "Un bouton « {action} » ne prend ni réponse, ni article, ni sujet (« {label} »).",
        "too_many_items": "Un menu a au plus {max} boutons.",
        "duplicate_id": "Deux boutons ont l'identifiant « {value} ».",
        "parent_missing": "Le bouton « {label} » est rangé sous un bouton qui n'existe pas.",
        "own_parent": "Le bouton « {label} » est rangé sous lui-même.",
        "cycle": "Le bouton « {label} » est rangé à l'intérieur de lui-même (un cycle).",
        "level_full_root": "Au plus {max} boutons au premier niveau.",
        "level_full": "Au plus {max} boutons dans le sous-menu « {label} ».",
        "too_deep": "Le bouton « {label} » est au niveau {depth} ; un menu a au plus {max} niveaux.",
        "empty_submenu": "Le sous-menu « {label} » est vide : ajoutez-y des boutons ou changez son action.",
        "not_submenu": "Seul un sous-menu peut contenir des boutons, et « {label} » n'en est pas un.",
        "no_item": "Ce bouton n'existe pas.",
    },
}

# The ticket service's and the ticket list filter's fixed sentences (staff ticket pages), in French.
SERVICE_MESSAGES["fr"].update({
    "The text is empty.": "Le texte est vide.",
    f"The text is longer than {TICKET_TEXT_MAX} characters.": (
        f"Le texte dépasse {TICKET_TEXT_MAX} caractères."
    ),
    "The ticket is closed.": "Le ticket est fermé.",
    "Agents may take a ticket or release it, not give it to someone else.": (
        "Un agent peut prendre un ticket ou le libérer, pas le confier à quelqu'un d'autre."
    ),
    "Only managers and admins move tickets between teams.": (
        "Seuls les responsables et les administrateurs changent l'équipe d'un ticket."
    ),
    "Someone else has this ticket: ask a manager to move it.": (
        "Quelqu'un d'autre a ce ticket : demandez à un responsable de le réattribuer."
    ),
    "A ticket becomes new again only when nobody has it: release it instead.": (
        "Un ticket ne redevient nouveau que lorsque personne ne l'a : libérez-le plutôt."
    ),
    "No such team.": "Cette équipe n'existe pas.",
    "No such active staff member.": "Aucun membre actif de l'équipe ne correspond.",
    "Choose an assignee or a team.": "Choisissez une personne ou une équipe.",
    "Unknown status.": "Statut inconnu.",
    "Unknown priority.": "Priorité inconnue.",
    "Unknown sort.": "Tri inconnu.",
    "Not an id.": "Ce n'est pas un identifiant.",
    "The search text is too long.": "Le texte recherché est trop long.",
    "breached must be 1 or 0.": "« SLA dépassé » vaut 1 ou 0.",
    "flagged must be 1 or 0.": "« Signalés » vaut 1 ou 0.",
    "page and per_page must be numbers.": "La page et le nombre par page sont des nombres.",
})


# --- admin: webhooks (web/webhook_pages.py, admin_webhooks.html) -------------------------------------------

EN.update({
    "nav.admin_webhooks": "Webhooks",
    "webhooks.title": "Webhooks",
    "webhooks.intro": (
        "Let other systems know when tickets change: chatsvc POSTs a signed JSON body to each URL you register, "
        "retries with backoff when the receiver is down, and keeps a log of every delivery."
    ),
    "webhooks.show_form": "Show the form",
    "webhooks.list": "Registered webhooks",
    "webhooks.list.intro": "Each one receives the events it subscribes to. At most {n} webhooks.",
    "webhooks.empty": "No webhook yet: nothing is sent to other systems.",
    "webhooks.url": "URL",
    "webhooks.url.hint": "http:// or https://, no user name or password in it; the body is signed instead.",
    "webhooks.events": "Events",
    "webhooks.event.created": "Ticket created",
    "webhooks.event.updated": "Ticket updated",
    "webhooks.event.resolved": "Ticket resolved",
    "webhooks.enabled": "Enabled",
    "webhooks.disabled": "Disabled",
    "webhooks.private": "Allow private and internal addresses",
    "webhooks.private.badge": "Private targets allowed",
    "webhooks.private.hint": (
        "Off by default: the server sends these requests itself, so a URL pointing at 127.0.0.1, your own "
        "network or the cloud metadata address (169.254.169.254) could reach internal services nobody exposed "
        "(server-side request forgery). Tick it only for a receiver you run on your internal network."
    ),
    "webhooks.error.blocked_hint": (
        "To send to a receiver on your own network on purpose, tick “Allow private and internal addresses”."
    ),
    "webhooks.edit": "Edit",
    "webhooks.edit.hint": "A new URL is checked again before it is saved.",
    "webhooks.enable": "Enable",
    "webhooks.disable": "Disable",
    "webhooks.rotate": "New secret",
    "webhooks.rotate.confirm": (
        "Replace the signing secret? The receiver must use the new one at once: deliveries signed with the old "
        "one stop verifying."
    ),
    "webhooks.delete.text": "The webhook and its delivery log are removed; queued deliveries are not sent.",
    "webhooks.delete.confirm": "Yes, delete this webhook",
    "webhooks.delete.button": "Delete for good",
    "webhooks.new": "New webhook",
    "webhooks.new.hint": "Its signing secret is shown once, right after it is added.",
    "webhooks.add": "Add the webhook",
    "webhooks.secret.created": "The webhook is added.",
    "webhooks.secret.rotated": "The webhook has a new signing secret; the old one no longer signs anything.",
    "webhooks.secret.title": "Signing secret",
    "webhooks.secret.for": "For",
    "webhooks.secret.once": "Copy it now; it will not be shown again.",
    "webhooks.secret.once.text": (
        "Store it with the receiver's configuration. If it is lost, make a new one with “New secret”."
    ),
    "webhooks.secret.done": "I have copied it",
    "webhooks.verify.title": "How the receiver checks a delivery",
    "webhooks.verify.read": "Read the two headers:",
    "webhooks.verify.compute": "Compute over the exact bytes of the body:",
    "webhooks.verify.compare": (
        "Compare with the signature header in constant time, and refuse timestamps more than 5 minutes away "
        "from your clock (a captured delivery cannot be replayed later)."
    ),
    "webhooks.verify.more": (
        "{event} names the event; {delivery} is the same on every attempt of one delivery, so a receiver can "
        "drop a duplicate."
    ),
    "webhooks.log.title": "Delivery log",
    "webhooks.log.intro": "The last {n} deliveries of this webhook, newest first. A failed one can be sent again.",
    "webhooks.log.back": "All webhooks",
    "webhooks.log.link": "Delivery log",
    "webhooks.log.pending": "Pending",
    "webhooks.log.delivered": "Delivered",
    "webhooks.log.failed": "Failed",
    "webhooks.log.event": "Event",
    "webhooks.log.ticket": "Ticket",
    "webhooks.log.status": "Status",
    "webhooks.log.attempts": "Attempts",
    "webhooks.log.http": "HTTP",
    "webhooks.log.error": "Last error",
    "webhooks.log.times": "When",
    "webhooks.log.created": "Queued",
    "webhooks.log.delivered_at": "Delivered",
    "webhooks.log.next": "next try {when}",
    "webhooks.log.retry": "Send again",
    "webhooks.log.empty": "Nothing sent yet: deliveries appear here when tickets change.",
    "webhooks.log.utc": "Times in UTC.",
    "error.code.blocked_address": "The webhook URL points at a private, loopback or otherwise non-public address.",
    "error.code.unresolvable_host": "The webhook URL's host name does not resolve to any address.",
    "notice.webhook_updated": "The webhook is saved.",
    "notice.webhook_enabled": "The webhook is enabled: it receives its events again.",
    "notice.webhook_disabled": "The webhook is disabled: nothing is sent to it until it is enabled.",
    "notice.webhook_deleted": "The webhook and its delivery log are deleted.",
    "notice.webhook_redelivered": "The delivery is queued again; it is sent in a moment.",
})

FR.update({key: french_spacing(text) for key, text in {
    "nav.admin_webhooks": "Webhooks",
    "webhooks.title": "Webhooks",
    "webhooks.intro": (
        "Prévenez d'autres systèmes quand les tickets changent : chatsvc envoie (POST) un corps JSON signé à "
        "chaque URL enregistrée, réessaie en espaçant les tentatives si le destinataire ne répond pas, et garde "
        "le journal de chaque envoi."
    ),
    "webhooks.show_form": "Voir le formulaire",
    "webhooks.list": "Webhooks enregistrés",
    "webhooks.list.intro": "Chacun reçoit les événements auxquels il est abonné. Au plus {n} webhooks.",
    "webhooks.empty": "Aucun webhook pour l'instant : rien n'est envoyé à d'autres systèmes.",
    "webhooks.url": "URL",
    "webhooks.url.hint": (
        "http:// ou https://, sans nom d'utilisateur ni mot de passe ; c'est le corps qui est signé."
    ),
    "webhooks.events": "Événements",
    "webhooks.event.created": "Ticket créé",
    "webhooks.event.updated": "Ticket modifié",
    "webhooks.event.resolved": "Ticket résolu",
    "webhooks.enabled": "Actif",
    "webhooks.disabled": "Désactivé",
    "webhooks.private": "Autoriser les adresses privées et internes",
    "webhooks.private.badge": "Adresses privées autorisées",
    "webhooks.private.hint": (
        "Désactivé par défaut : c'est le serveur qui envoie ces requêtes, donc une URL visant 127.0.0.1, votre "
        "propre réseau ou l'adresse des métadonnées du cloud (169.254.169.254) pourrait atteindre des services "
        "internes que personne n'a exposés (falsification de requête côté serveur, SSRF). Ne cochez que pour "
        "un destinataire que vous hébergez sur votre réseau interne."
    ),
    "webhooks.error.blocked_hint": (
        "Pour envoyer volontairement à un destinataire de votre réseau, cochez « Autoriser les adresses "
        "privées et internes »."
    ),
    "webhooks.edit": "Modifier",
    "webhooks.edit.hint": "Une nouvelle URL est vérifiée à nouveau avant d'être enregistrée.",
    "webhooks.enable": "Activer",
    "webhooks.disable": "Désactiver",
    "webhooks.rotate": "Nouveau secret",
    "webhooks.rotate.confirm": (
        "Remplacer le secret de signature ? Le destinataire doit utiliser le nouveau tout de suite : les envois "
        "ne se vérifient plus avec l'ancien."
    ),
    "webhooks.delete.text": (
        "Le webhook et son journal d'envois sont supprimés ; les envois en attente ne partent pas."
    ),
    "webhooks.delete.confirm": "Oui, supprimer ce webhook",
    "webhooks.delete.button": "Supprimer définitivement",
    "webhooks.new": "Nouveau webhook",
    "webhooks.new.hint": "Son secret de signature n'est affiché qu'une fois, juste après l'ajout.",
    "webhooks.add": "Ajouter le webhook",
    "webhooks.secret.created": "Le webhook est ajouté.",
    "webhooks.secret.rotated": "Le webhook a un nouveau secret de signature ; l'ancien ne signe plus rien.",
    "webhooks.secret.title": "Secret de signature",
    "webhooks.secret.for": "Pour",
    "webhooks.secret.once": "Copiez-le maintenant : il ne sera plus affiché.",
    "webhooks.secret.once.text": (
        "Rangez-le avec la configuration du destinataire. S'il est perdu, créez-en un autre avec « Nouveau "
        "secret »."
    ),
    "webhooks.secret.done": "Je l'ai copié",
    "webhooks.verify.title": "Comment le destinataire vérifie un envoi",
    "webhooks.verify.read": "Lire les deux en-têtes :",
    "webhooks.verify.compute": "Calculer sur les octets exacts du corps :",
    "webhooks.verify.compare": (
        "Comparer avec l'en-tête de signature en temps constant, et refuser un horodatage à plus de 5 minutes "
        "de votre horloge (un envoi intercepté ne peut pas être rejoué plus tard)."
    ),
    "webhooks.verify.more": (
        "{event} nomme l'événement ; {delivery} est le même à chaque tentative d'un envoi, ce qui permet au "
        "destinataire d'écarter un doublon."
    ),
    "webhooks.log.title": "Journal des envois",
    "webhooks.log.intro": (
        "Les {n} derniers envois de ce webhook, du plus récent au plus ancien. Un envoi échoué peut être "
        "renvoyé."
    ),
    "webhooks.log.back": "Tous les webhooks",
    "webhooks.log.link": "Journal des envois",
    "webhooks.log.pending": "En attente",
    "webhooks.log.delivered": "Remis",
    "webhooks.log.failed": "Échoué",
    "webhooks.log.event": "Événement",
    "webhooks.log.ticket": "Ticket",
    "webhooks.log.status": "État",
    "webhooks.log.attempts": "Tentatives",
    "webhooks.log.http": "HTTP",
    "webhooks.log.error": "Dernière erreur",
    "webhooks.log.times": "Quand",
    "webhooks.log.created": "Mis en file",
    "webhooks.log.delivered_at": "Remis",
    "webhooks.log.next": "prochain essai {when}",
    "webhooks.log.retry": "Renvoyer",
    "webhooks.log.empty": "Rien n'a encore été envoyé : les envois apparaissent ici quand des tickets changent.",
    "webhooks.log.utc": "Heures en UTC.",
    "error.code.blocked_address": (
        "L'URL du webhook vise une adresse privée, de bouclage ou autrement non publique."
    ),
    "error.code.unresolvable_host": "Le nom d'hôte de l'URL du webhook ne correspond à aucune adresse.",
    "notice.webhook_updated": "Le webhook est enregistré.",
    "notice.webhook_enabled": "Le webhook est activé : il reçoit de nouveau ses événements.",
    "notice.webhook_disabled": "Le webhook est désactivé : rien ne lui est envoyé tant qu'il n'est pas réactivé.",
    "notice.webhook_deleted": "Le webhook et son journal d'envois sont supprimés.",
    "notice.webhook_redelivered": "L'envoi est remis en file ; il part dans un instant.",
}.items()})

# The webhook service's fixed sentences (domain/webhooks.py, services/webhooks.py, services/ssrf.py).
SERVICE_MESSAGES["fr"].update({
    "The webhook URL is empty.": "L'URL du webhook est vide.",
    f"The webhook URL is longer than {WEBHOOK_MAX_URL} characters.": (
        f"L'URL du webhook dépasse {WEBHOOK_MAX_URL} caractères."
    ),
    "The webhook URL may not contain spaces, control or non-ASCII characters (percent-encode them; use the "
    "punycode form of international host names).": (
        "L'URL du webhook ne peut contenir ni espace, ni caractère de contrôle ou non ASCII (encodez-les avec "
        "des %, et écrivez les noms d'hôte internationaux sous leur forme punycode)."
    ),
    "The webhook URL may not contain backslashes.": "L'URL du webhook ne peut pas contenir de barre oblique inverse.",
    "The webhook URL must start with http:// or https://.": "L'URL du webhook doit commencer par http:// ou https://.",
    "The webhook URL may not have a #fragment.": "L'URL du webhook ne peut pas avoir de #fragment.",
    "The webhook URL may not contain a user name or password; put credentials in the path or rely on the "
    "signature.": (
        "L'URL du webhook ne peut pas contenir de nom d'utilisateur ni de mot de passe ; mettez les "
        "identifiants dans le chemin ou fiez-vous à la signature."
    ),
    "The webhook URL must name a host.": "L'URL du webhook doit nommer un hôte.",
    "The webhook URL's IPv6 address is not valid.": "L'adresse IPv6 de l'URL du webhook n'est pas valide.",
    "The webhook URL's host name is not valid.": "Le nom d'hôte de l'URL du webhook n'est pas valide.",
    "The webhook URL's port is not valid.": "Le port de l'URL du webhook n'est pas valide.",
    BlockedAddress.default_message: (
        "L'URL du webhook vise une adresse privée, de bouclage, lien-local ou autrement non publique. "
        "Indiquez allow_private à true pour autoriser volontairement un destinataire interne."
    ),
    UnresolvableHost.default_message: "Le nom d'hôte de l'URL du webhook ne correspond à aucune adresse.",
    "A webhook needs at least one event.": "Un webhook a besoin d'au moins un événement.",
    f"There are already {WEBHOOK_MAX} webhooks; delete one first.": (
        f"Il y a déjà {WEBHOOK_MAX} webhooks ; supprimez-en un d'abord."
    ),
    "No such webhook.": "Webhook introuvable.",
    "No such webhook delivery.": "Envoi de webhook introuvable.",
    "Only a failed delivery can be sent again; this one is pending.": (
        "Seul un envoi échoué peut être renvoyé ; celui-ci est en attente."
    ),
    "Only a failed delivery can be sent again; this one is delivered.": (
        "Seul un envoi échoué peut être renvoyé ; celui-ci est déjà remis."
    ),
    "Tick the box to confirm the deletion. Nothing was deleted.": (
        "Cochez la case pour confirmer la suppression. Rien n'a été supprimé."
    ),
})

# --- end of admin: webhooks ----------------------------------------------------------------------------------

# --- the widget: its settings (web/admin_pages.py, admin_sites.html) and the demo (web/pages.py, home.html) ----

EN.update({
    "widget.title": "Widget",
    "widget.preview": "How it looks (saved settings)",
    "widget.preview.alt.right": (
        "Preview of the widget: its header and launcher button in the site's colour, at the bottom right."
    ),
    "widget.preview.alt.left": (
        "Preview of the widget: its header and launcher button in the site's colour, at the bottom left."
    ),
    "widget.embed": "Embed code",
    "widget.embed.hint": (
        "Paste it before </body> on every page where visitors may chat; the origin of those pages must be in "
        "the list above. Add data-lang=\"fr\" or data-lang=\"en\" to choose the language instead of the "
        "visitor's browser."
    ),
    "widget.color": "Colour",
    "widget.color.hint.light": (
        "On the saved colour the launcher and header text is white, at a contrast of {ratio}:1 (WCAG AA asks for "
        "4.5:1). A colour on which neither white nor dark text reaches 4.5:1 is refused."
    ),
    "widget.color.hint.dark": (
        "On the saved colour the launcher and header text is dark, at a contrast of {ratio}:1 (WCAG AA asks for "
        "4.5:1). A colour on which neither white nor dark text reaches 4.5:1 is refused."
    ),
    "widget.position": "Launcher position",
    "widget.position.right": "Bottom right",
    "widget.position.left": "Bottom left",
    "widget.prechat": "Pre-chat form",
    "widget.prechat.off": "Off",
    "widget.prechat.optional": "Name and email, optional",
    "widget.prechat.required": "Email required before chatting",
    "widget.greeting.en": "Greeting in English",
    "widget.greeting.fr": "Greeting in French",
    "widget.greeting.hint": (
        "Plain text, up to {n} characters, shown when a visitor opens the chat. Leave it empty for the "
        "widget's own greeting."
    ),
    "widget.survey": "End-of-chat survey",
    "widget.survey_csat": "Satisfaction (CSAT, 1 to 5) and a comment",
    "widget.survey_nps": "Would recommend (NPS, 0 to 10)",
    "widget.survey_ces": "Effort (CES, 1 to 7)",
    "widget.survey.hint": (
        "Offered when a chat ends after a person answered or the bot solved it. NPS and CES are asked only "
        "together with CSAT."
    ),
    "widget.save": "Save the widget",
    "widget.error.not_a_color": "A colour is written #rrggbb, like #1f5fd1 (got {value}).",
    "widget.error.unreadable_color": (
        "Text on {color} would be hard to read: neither white nor dark text reaches the 4.5:1 contrast of "
        "WCAG AA. A darker shade such as {suggestion} works."
    ),
    "widget.error.position": "The position is bottom right or bottom left.",
    "widget.error.prechat": "The pre-chat form is off, optional or required.",
    "widget.error.greeting_too_long": "A greeting is at most {n} characters.",
    "widget.error.greeting_control": "A greeting may not contain control characters.",
    "widget.error.not_a_switch": "{name} is on or off.",
    "widget.error.survey_extras_need_csat": "NPS and CES are asked within the end-of-chat survey: switch the survey on, or them off.",
    "widget.error.unknown": "Unknown widget setting {name}.",
    "notice.widget_updated": "The widget settings are saved. Visitors see them at their next page load.",
    "home.demo.title": "Try the widget",
    "home.demo.text": (
        "This page embeds the widget the way your website would, with the default site's key: open it with "
        "the round button at the bottom of the page. No agent online? It offers to leave a message."
    ),
    "home.demo.code": "The tag on this page:",
    "home.demo.code.off": "The tag this page would carry:",
    "home.demo.blocked.title": "The widget cannot open on this page",
    "home.demo.blocked.text": (
        "This page's origin, {origin}, is not among the default site's allowed origins, so the server would "
        "refuse the widget. To try it here, add that origin:"
    ),
    "home.demo.blocked.admin": "as an administrator, on the Sites page (allowed origins of the default site);",
    "home.demo.blocked.cli": "or from the command line (it replaces the list: name every origin to keep):",
    "home.demo.blocked.cli.unlisted": (
        "or from the command line: chatsvc site list shows the origins allowed now; set-origins replaces the "
        "list, so name every one to keep in place of …:"
    ),
    "home.demo.no_site": (
        "No site has the key default, so this page has no widget to show. Create it on the Sites page, or "
        "from the command line:"
    ),
    "home.demo.unbuilt": "The widget's script is not built: run make widget (python widget/build.py).",
})

FR.update({key: french_spacing(text) for key, text in {
    "widget.title": "Widget",
    "widget.preview": "Aperçu (réglages enregistrés)",
    "widget.preview.alt.right": (
        "Aperçu du widget : son en-tête et son bouton d'ouverture aux couleurs du site, en bas à droite."
    ),
    "widget.preview.alt.left": (
        "Aperçu du widget : son en-tête et son bouton d'ouverture aux couleurs du site, en bas à gauche."
    ),
    "widget.embed": "Code à intégrer",
    "widget.embed.hint": (
        "Collez-le avant </body> sur chaque page où les visiteurs peuvent écrire ; l'origine de ces pages doit "
        "figurer dans la liste ci-dessus. Ajoutez data-lang=\"fr\" ou data-lang=\"en\" pour imposer la langue "
        "au lieu de celle du navigateur du visiteur."
    ),
    "widget.color": "Couleur",
    "widget.color.hint.light": (
        "Sur la couleur enregistrée, le texte du bouton et de l'en-tête est blanc, avec un contraste de {ratio}:1 (le "
        "niveau AA des WCAG demande 4,5:1). Une couleur sur laquelle ni un texte blanc ni un texte foncé "
        "n'atteint 4,5:1 est refusée."
    ),
    "widget.color.hint.dark": (
        "Sur la couleur enregistrée, le texte du bouton et de l'en-tête est foncé, avec un contraste de {ratio}:1 (le "
        "niveau AA des WCAG demande 4,5:1). Une couleur sur laquelle ni un texte blanc ni un texte foncé "
        "n'atteint 4,5:1 est refusée."
    ),
    "widget.position": "Position du bouton",
    "widget.position.right": "En bas à droite",
    "widget.position.left": "En bas à gauche",
    "widget.prechat": "Formulaire avant le chat",
    "widget.prechat.off": "Désactivé",
    "widget.prechat.optional": "Nom et e-mail, facultatifs",
    "widget.prechat.required": "E-mail obligatoire avant d'écrire",
    "widget.greeting.en": "Message d'accueil en anglais",
    "widget.greeting.fr": "Message d'accueil en français",
    "widget.greeting.hint": (
        "Texte simple, {n} caractères au plus, affiché quand un visiteur ouvre le chat. Laissez vide pour le "
        "message d'accueil du widget."
    ),
    "widget.survey": "Questionnaire de fin de chat",
    "widget.survey_csat": "Satisfaction (CSAT, de 1 à 5) et un commentaire",
    "widget.survey_nps": "Recommandation (NPS, de 0 à 10)",
    "widget.survey_ces": "Effort (CES, de 1 à 7)",
    "widget.survey.hint": (
        "Proposé à la fin d'un chat où une personne a répondu ou que le bot a résolu. NPS et CES ne sont "
        "demandés qu'avec CSAT."
    ),
    "widget.save": "Enregistrer le widget",
    "widget.error.not_a_color": "Une couleur s'écrit #rrvvbb, comme #1f5fd1 (reçu : {value}).",
    "widget.error.unreadable_color": (
        "Un texte sur {color} serait difficile à lire : ni un texte blanc ni un texte foncé n'atteint le "
        "contraste de 4,5:1 du niveau AA des WCAG. Une teinte plus foncée comme {suggestion} convient."
    ),
    "widget.error.position": "La position est en bas à droite ou en bas à gauche.",
    "widget.error.prechat": "Le formulaire avant le chat est désactivé, facultatif ou obligatoire.",
    "widget.error.greeting_too_long": "Un message d'accueil fait au plus {n} caractères.",
    "widget.error.greeting_control": "Un message d'accueil ne peut pas contenir de caractères de contrôle.",
    "widget.error.not_a_switch": "{name} est activé ou désactivé.",
    "widget.error.survey_extras_need_csat": "Le NPS et le CES sont demandés dans l'enquête de fin de conversation : activez l'enquête, ou désactivez-les.",
    "widget.error.unknown": "Réglage du widget inconnu : {name}.",
    "notice.widget_updated": (
        "Les réglages du widget sont enregistrés. Les visiteurs les voient au prochain chargement de page."
    ),
    "home.demo.title": "Essayez le widget",
    "home.demo.text": (
        "Cette page intègre le widget comme le ferait votre site, avec la clé du site par défaut : ouvrez-le "
        "avec le bouton rond en bas de la page. Aucun agent en ligne ? Il propose de laisser un message."
    ),
    "home.demo.code": "La balise de cette page :",
    "home.demo.code.off": "La balise que porterait cette page :",
    "home.demo.blocked.title": "Le widget ne peut pas s'ouvrir sur cette page",
    "home.demo.blocked.text": (
        "L'origine de cette page, {origin}, ne fait pas partie des origines autorisées du site par défaut : "
        "le serveur refuserait le widget. Pour l'essayer ici, ajoutez cette origine :"
    ),
    "home.demo.blocked.admin": (
        "en tant qu'administrateur, sur la page Sites (origines autorisées du site par défaut) ;"
    ),
    "home.demo.blocked.cli": (
        "ou en ligne de commande (elle remplace la liste : nommez toutes les origines à garder) :"
    ),
    "home.demo.blocked.cli.unlisted": (
        "ou en ligne de commande : chatsvc site list affiche les origines autorisées ; set-origins remplace la "
        "liste : nommez toutes celles à garder à la place de … :"
    ),
    "home.demo.no_site": (
        "Aucun site n'a la clé default : cette page n'a pas de widget à montrer. Créez-le sur la page Sites, "
        "ou en ligne de commande :"
    ),
    "home.demo.unbuilt": "Le script du widget n'est pas construit : lancez make widget (python widget/build.py).",
}.items()})

# --- end of the widget -------------------------------------------------------------------------------------

SERVICE_MESSAGES["fr"] = {english: french_spacing(text) for english, text in SERVICE_MESSAGES["fr"].items()}
MENU_ERRORS["fr"] = {reason: french_spacing(text) for reason, text in MENU_ERRORS["fr"].items()}

# --- the agent console (web/console_pages.py, static/console.js) and the public help page --------------------
# The console.* strings also go to the script (console_pages.script_strings); {name} etc. are filled there.

EN.update({
    "console.title": "Console",
    "console.left.label": "Your chats and the queue",
    "console.center.label": "Conversation",
    "console.details.label": "Visitor details",
    "console.conn.online": "Connected",
    "console.conn.connecting": "Connecting…",
    "console.conn.offline": "Offline, retry in {s} s",
    "console.status.label": "Your status",
    "console.status.online": "Online",
    "console.status.away": "Away",
    "console.status.offline": "Offline",
    "console.load.title": "Chats you hold / your capacity",
    "console.load.spoken": "Chats you hold / your capacity: ",
    "console.mute": "Mute the new-chat sound",
    "console.unmute": "Turn the new-chat sound back on",
    "console.notify": "Show browser notifications for new chats",
    "console.notify.on": "Browser notifications are on",
    "console.notify.denied": "Browser notifications are blocked for this site (browser settings)",
    "console.notify.unsupported": "This browser cannot show notifications",
    "console.notify.body": "A visitor is waiting for your answer.",
    "console.help.open": "Keyboard shortcuts",
    "console.help.title": "Keyboard shortcuts",
    "console.chats.title": "My chats",
    "console.chats.empty": "No chats yet. While you are online, new chats appear here.",
    "console.queue.title": "Waiting",
    "console.queue.empty": "Nobody is waiting.",
    "console.queue.team": "Team {team}",
    "console.queue.no_message": "No message yet",
    "console.pick": "Pick",
    "console.pick.label": "Pick the chat with {name}",
    "console.pick.full": "You are at capacity: close a chat first",
    "console.pick.team": "This visitor waits for a team you are not in",
    "console.unread.one": "{n} unread message",
    "console.unread.other": "{n} unread messages",
    "console.chat.ended": "Ended",
    "console.visitor.tag": "Visitor {tag}",
    "console.chat.transferred": "Transferred",
    "console.queue.waiting.one": "Queue: {n} visitor waiting",
    "console.queue.waiting.other": "Queue: {n} visitors waiting",
    "console.canned.replace": "Replace {name} before sending (Enter again sends it as written)",
    "console.convert.title_name": "Convert the chat with {name} to a ticket",
    "console.convert.text_email": "The conversation becomes a ticket and the chat closes. The answer will be sent by email to {email}.",
    "console.convert.text_no_email": "The conversation becomes a ticket and the chat closes. The visitor gave no email: enter the address the answer will be sent to.",
    "console.convert.email": "Visitor's email",
    "console.convert.email_hint": "The answer to the ticket will be sent to this address.",
    "console.convert.without": "Convert without an email",
    "console.convert.email_needed": "Enter the visitor's email, or choose “Convert without an email” (the ticket is then for internal follow-up only).",
    "console.convert.email_bad": "This email address is not valid.",
    "console.convert.done_internal": "Ticket created for internal follow-up (no email to answer); the chat is closed.",
    "console.wait.s": "{n} s",
    "console.wait.m": "{n} min",
    "console.wait.h": "{h} h {m} min",
    "console.wait.waiting": "Waiting for your answer",
    "console.wait.last": "Since the last message",
    "console.empty.title": "No chat open",
    "console.empty.text": "Your chats appear on the left as they are assigned to you. Pick a waiting visitor to start.",
    "console.empty.keys": "Press ? for the keyboard shortcuts.",
    "console.visitor": "Visitor",
    "console.you": "You",
    "console.started": "started {time}",
    "console.transfer": "Transfer",
    "console.convert": "Convert to ticket",
    "console.close": "Close",
    "console.dismiss": "Dismiss",
    "console.back": "Back",
    "console.log.label": "Conversation history",
    "console.mode.label": "Write a",
    "console.mode.reply": "Reply",
    "console.mode.note": "Internal note",
    "console.composer.reply": "Your reply to the visitor",
    "console.composer.note": "An internal note, for staff only",
    "console.composer.placeholder": "Write a reply… (/ for canned responses)",
    "console.composer.note_placeholder": "Internal note — the visitor will not see this",
    "console.composer.hint": "Enter sends · Shift+Enter new line · / canned responses · Tab expands /shortcut",
    "console.send": "Send",
    "console.send.note": "Add note",
    "console.sending": "Sending…",
    "console.sent": "Sent",
    "console.saved": "Saved",
    "console.seen": "Seen",
    "console.failed": "Not sent",
    "console.retry": "Retry",
    "console.discard": "Discard",
    "console.note.label": "Internal note",
    "console.note.handover": "Internal note · handover",
    "console.typing": "{name} is typing…",
    "console.typing.short": "typing…",
    "console.bot.articles": "Articles shown",
    "console.ended.closed": "This chat has ended. It stays here, read only, until you dismiss it.",
    "console.ended.left": "This chat is no longer yours (transferred or back in the queue). Read only.",
    "console.readonly": "Earlier conversation, read only",
    "console.new_chat": "New chat: {name}",
    "console.announce.message": "New message from {name}",
    "console.ev.opened": "Chat started",
    "console.ev.opened.topic": "Chat started about {topic}",
    "console.ev.queued": "Waiting for an agent",
    "console.ev.queued.asked": "The visitor asked for a person",
    "console.ev.queued.declined": "The bot's answer did not help: waiting for an agent",
    "console.ev.queued.menu": "The visitor chose to talk to a person",
    "console.ev.assigned": "Assigned to {name}",
    "console.ev.transferred": "Transferred to {name}",
    "console.ev.requeued.offline": "Back in the queue: the agent went offline",
    "console.ev.requeued.disconnected": "Back in the queue: the agent's connection was lost",
    "console.ev.requeued.transferred": "Sent back to the queue",
    "console.ev.closed": "Closed by {name}",
    "console.ev.closed.ticket": "Converted to a ticket by {name}",
    "console.ev.closed.bot": "The bot's answer solved it",
    "console.ev.closed.left": "The visitor left",
    "console.ev.choice.article": "Opened the article {article}",
    "console.ev.choice.menu": "Pressed “{label}”",
    "console.ev.feedback.yes": "Answered Yes: the article helped",
    "console.ev.feedback.no": "Answered No: the article did not help",
    "console.ev.note": "Note: {note}",
    "console.details.empty": "Open a chat to see who you are talking to.",
    "console.details.page": "Current page",
    "console.details.time": "Local time",
    "console.details.local": "{time} ({tz})",
    "console.details.browser": "Browser",
    "console.details.lang": "Language",
    "console.details.site": "Site",
    "console.details.started": "Chat started",
    "console.details.unknown": "Not known",
    "console.details.no_email": "No email given",
    "console.history.title": "Earlier conversations and tickets",
    "console.history.loading": "Loading…",
    "console.history.none": "Nothing earlier from this visitor.",
    "console.history.chat": "Chat of {date}",
    "console.history.ticket": "Ticket",
    "console.conv_status.bot": "With the bot",
    "console.conv_status.queued": "Waiting",
    "console.conv_status.assigned": "Open",
    "console.conv_status.closed": "Closed",
    "console.resolution.bot": "solved by the bot",
    "console.resolution.ticket": "became a ticket",
    "console.ticket_status.new": "New",
    "console.ticket_status.open": "Open",
    "console.ticket_status.pending": "Pending",
    "console.ticket_status.resolved": "Resolved",
    "console.ticket_status.closed": "Closed",
    "console.canned.title": "Canned responses",
    "console.canned.open": "Insert a canned response",
    "console.canned.short": "Canned",
    "console.canned.none": "No canned response matches.",
    "console.canned.manage": "Manage canned responses",
    "console.canned.shared": "Shared",
    "console.canned.unknown": "No canned response has the shortcut /{shortcut}.",
    "console.canned.unfilled": "Some placeholders could not be filled: {names}",
    "console.kb.open": "Knowledge base",
    "console.kb.title": "Knowledge base",
    "console.kb.search": "Search articles",
    "console.kb.none": "No published article matches.",
    "console.kb.insert_link": "Insert link",
    "console.kb.insert_text": "Insert text",
    "console.kb.view": "View",
    "console.dialog.close": "Close this window",
    "console.cancel": "Cancel",
    "console.transfer.title": "Transfer the chat with {name}",
    "console.transfer.to": "Transfer to",
    "console.transfer.queue": "Back to the queue (first in line)",
    "console.transfer.agent": "{name} ({load}/{capacity} chats)",
    "console.transfer.loading": "Looking for available agents…",
    "console.transfer.count": "Only online agents with a free place are listed.",
    "console.transfer.none": "No other agent is online with a free place: you can send the chat back to the queue.",
    "console.transfer.failed": "The list of agents could not be loaded: you can still send the chat back to the queue.",
    "console.transfer.note": "Note for the next agent (optional)",
    "console.transfer.note_hint": "Staff only: the visitor does not see it.",
    "console.transfer.confirm": "Transfer",
    "console.transfer.sent": "Transfer sent.",
    "console.transfer.requeued": "The chat goes back to the queue.",
    "console.close.title": "Close this chat?",
    "console.close.text": "The chat with {name} ends for both of you. The visitor may be asked to rate it.",
    "console.close.confirm": "Close the chat",
    "console.convert.reason": "Why a ticket? (staff only)",
    "console.convert.empty": "Give a reason.",
    "console.convert.confirm": "Create the ticket and close",
    "console.convert.done": "Ticket created; the chat is closed.",
    "console.last.you": "You: {text}",
    "console.convert.open": "Open the ticket",
    "console.banner.close": "Hide this message",
    "console.error.over_capacity": "Not possible: that would exceed the capacity (yours or the other agent's).",
    "console.error.not_found": "That chat is not yours, or no longer exists.",
    "console.error.invalid_state": "Not possible now: the chat or the agent changed in the meantime.",
    "console.error.rate_limited": "Too fast: wait a moment and try again.",
    "console.error.bad_frame": "The server refused that request.",
    "console.error.forbidden": "You are not allowed to do that.",
    "console.error.error": "Something went wrong on the server. Try again.",
    "console.error.offline": "Not connected: wait for the connection to come back.",
    "console.key.next": "Next chat",
    "console.key.prev": "Previous chat",
    "console.key.nth": "Open chat 1 to 9 of the list",
    "console.key.send": "Send the reply",
    "console.key.newline": "New line",
    "console.key.canned": "Canned responses (at the start of the reply)",
    "console.key.expand": "Expand /shortcut",
    "console.key.note": "Switch between reply and internal note",
    "console.key.kb": "Search the knowledge base",
    "console.key.queue": "Go to the queue",
    "console.key.close": "Close the chat (asks first)",
    "console.key.help": "This help",
    "console.key.escape": "Close a list or window",
    "console.error.csrf_failed": "Your session's security token expired: reload the page and try again.",
    "console.error.bad_request": "The request was not valid.",
    "console.error.conflict": "This conflicts with a change made in the meantime.",
    "console.error.unavailable": "The service is unavailable for a moment. Try again shortly.",
    "console.error.internal": "Something went wrong on the server. Try again.",
    "console.error.http_error": "The server did not answer as expected. Try again.",
    "console.error.unauthorized": "You are signed out: sign in again.",
    "console.error.password_change_required": "Choose a new password first.",
    "console.error.too_many_connections": "Too many connections at once: close a tab and try again.",
    "console.error.slow_consumer": "The connection was too slow and was reopened.",
    "console.error.origin_not_allowed": "This page may not connect from here.",
    "console.error.unsupported_version": "This page is out of date: reload it.",
    "console.error.no_answer": "No answer from the server.",
    "console.error.too_long": (
        "Too long to send: {n} characters, at most {max}. Shorten it or send it in parts."
    ),
    "console.copy": "Copy",
    "console.copied": "Copied.",
    "console.ev.choice.some_article": "Opened an article",
    "console.ev.other": "Something happened in the chat",
    "console.bot.tag": "Bot",
    "console.offline.title": "Go offline?",
    "console.offline.text.one": "Your open chat goes back to the queue for another agent.",
    "console.offline.text.other": "Your {n} open chats go back to the queue for other agents.",
    "console.offline.confirm": "Go offline",
    "console.transfer.waiting": "Transferring…",
    "console.clear_ended": "Clear ended",
    "console.kbd.alt": "Alt",
    "console.kbd.ctrl": "Ctrl",
    "console.kbd.shift": "Shift",
    "console.kbd.enter": "Enter",
    "console.kbd.tab": "Tab",
    "console.kbd.esc": "Esc",
    "console.help.mac": "On a Mac: Control + Option instead of Alt (Option alone types accents).",
    "console.help.typing": (
        "In the reply box, an Alt key that types a character (such as AltGr + Q for @) types it: no shortcut."
    ),
    "console.help.storage": (
        "Drafts and messages not sent yet are kept in this browser until they go, and removed when you "
        "sign out."
    ),
    "help.site": "Help centre",
    "help.eyebrow": "Help article",
    "help.updated": "Updated {date}",
    "help.more.title": "Still need help?",
    "help.more.text": "Go back to the chat on the site you came from: a person will answer you there.",
    "help.not_found.title": "Article not found",
    "help.not_found.text": "This help article does not exist or is no longer published.",
    "help.footer": "Help centre · chatsvc",
})

FR.update({key: french_spacing(text) for key, text in {
    "console.title": "Console",
    "console.left.label": "Vos chats et la file d'attente",
    "console.center.label": "Conversation",
    "console.details.label": "Informations sur le visiteur",
    "console.conn.online": "Connecté",
    "console.conn.connecting": "Connexion…",
    "console.conn.offline": "Hors ligne, essai dans {s} s",
    "console.status.label": "Votre statut",
    "console.status.online": "En ligne",
    "console.status.away": "Absent",
    "console.status.offline": "Hors ligne",
    "console.load.title": "Chats en cours / votre capacité",
    "console.load.spoken": "Chats en cours / votre capacité : ",
    "console.mute": "Couper le son des nouveaux chats",
    "console.unmute": "Réactiver le son des nouveaux chats",
    "console.notify": "Afficher des notifications du navigateur pour les nouveaux chats",
    "console.notify.on": "Les notifications du navigateur sont activées",
    "console.notify.denied": "Les notifications sont bloquées pour ce site (réglages du navigateur)",
    "console.notify.unsupported": "Ce navigateur ne peut pas afficher de notifications",
    "console.notify.body": "Un visiteur attend votre réponse.",
    "console.help.open": "Raccourcis clavier",
    "console.help.title": "Raccourcis clavier",
    "console.chats.title": "Mes chats",
    "console.chats.empty": "Aucun chat pour l'instant. Quand vous êtes en ligne, les nouveaux chats arrivent ici.",
    "console.queue.title": "En attente",
    "console.queue.empty": "Personne n'attend.",
    "console.queue.team": "Équipe {team}",
    "console.queue.no_message": "Pas encore de message",
    "console.pick": "Prendre",
    "console.pick.label": "Prendre le chat avec {name}",
    "console.pick.full": "Vous êtes à pleine capacité : clôturez d'abord un chat",
    "console.pick.team": "Ce visiteur attend une équipe dont vous ne faites pas partie",
    "console.unread.one": "{n} message non lu",
    "console.unread.other": "{n} messages non lus",
    "console.chat.ended": "Terminé",
    "console.visitor.tag": "Visiteur {tag}",
    "console.chat.transferred": "Transféré",
    "console.queue.waiting.one": "File d'attente : {n} visiteur attend",
    "console.queue.waiting.other": "File d'attente : {n} visiteurs attendent",
    "console.canned.replace": "Remplacez {name} avant d'envoyer (Entrée une seconde fois l'envoie tel quel)",
    "console.convert.title_name": "Convertir le chat avec {name} en ticket",
    "console.convert.text_email": "La conversation devient un ticket et le chat se ferme. La réponse sera envoyée par e-mail à {email}.",
    "console.convert.text_no_email": "La conversation devient un ticket et le chat se ferme. Le visiteur n'a pas donné d'e-mail : saisissez l'adresse à laquelle la réponse sera envoyée.",
    "console.convert.email": "E-mail du visiteur",
    "console.convert.email_hint": "La réponse au ticket sera envoyée à cette adresse.",
    "console.convert.without": "Convertir sans e-mail",
    "console.convert.email_needed": "Saisissez l'e-mail du visiteur, ou choisissez « Convertir sans e-mail » (le ticket ne sert alors qu'au suivi interne).",
    "console.convert.email_bad": "Cette adresse e-mail n'est pas valide.",
    "console.convert.done_internal": "Ticket créé pour un suivi interne (pas d'e-mail pour répondre) ; le chat est fermé.",
    "console.wait.s": "{n} s",
    "console.wait.m": "{n} min",
    "console.wait.h": "{h} h {m} min",
    "console.wait.waiting": "Attend votre réponse",
    "console.wait.last": "Depuis le dernier message",
    "console.empty.title": "Aucun chat ouvert",
    "console.empty.text": (
        "Vos chats s'affichent à gauche dès qu'ils vous sont attribués. Prenez un visiteur en attente pour commencer."
    ),
    "console.empty.keys": "Appuyez sur ? pour voir les raccourcis clavier.",
    "console.visitor": "Visiteur",
    "console.you": "Vous",
    "console.started": "commencé à {time}",
    "console.transfer": "Transférer",
    "console.convert": "Convertir en ticket",
    "console.close": "Clore",
    "console.dismiss": "Retirer",
    "console.back": "Retour",
    "console.log.label": "Historique de la conversation",
    "console.mode.label": "Écrire",
    "console.mode.reply": "Réponse",
    "console.mode.note": "Note interne",
    "console.composer.reply": "Votre réponse au visiteur",
    "console.composer.note": "Une note interne, visible du personnel seulement",
    "console.composer.placeholder": "Écrivez une réponse… (/ pour les réponses types)",
    "console.composer.note_placeholder": "Note interne — le visiteur ne la verra pas",
    "console.composer.hint": (
        "Entrée envoie · Maj+Entrée nouvelle ligne · / réponses types · Tab développe /raccourci"
    ),
    "console.send": "Envoyer",
    "console.send.note": "Ajouter la note",
    "console.sending": "Envoi…",
    "console.sent": "Envoyé",
    "console.saved": "Enregistrée",
    "console.seen": "Lu",
    "console.failed": "Non envoyé",
    "console.retry": "Réessayer",
    "console.discard": "Abandonner",
    "console.note.label": "Note interne",
    "console.note.handover": "Note interne · transfert",
    "console.typing": "{name} écrit…",
    "console.typing.short": "écrit…",
    "console.bot.articles": "Articles montrés",
    "console.ended.closed": "Ce chat est terminé. Il reste ici, en lecture seule, jusqu'à ce que vous le retiriez.",
    "console.ended.left": (
        "Ce chat n'est plus le vôtre (transféré ou renvoyé dans la file d'attente). Lecture seule."
    ),
    "console.readonly": "Conversation précédente, en lecture seule",
    "console.new_chat": "Nouveau chat : {name}",
    "console.announce.message": "Nouveau message de {name}",
    "console.ev.opened": "Chat commencé",
    "console.ev.opened.topic": "Chat commencé au sujet de {topic}",
    "console.ev.queued": "En attente d'un conseiller",
    "console.ev.queued.asked": "Le visiteur a demandé à parler à quelqu'un",
    "console.ev.queued.declined": "La réponse du bot n'a pas aidé : en attente d'un conseiller",
    "console.ev.queued.menu": "Le visiteur a choisi de parler à quelqu'un",
    "console.ev.assigned": "Attribué à {name}",
    "console.ev.transferred": "Transféré à {name}",
    "console.ev.requeued.offline": "De retour dans la file : le conseiller est passé hors ligne",
    "console.ev.requeued.disconnected": "De retour dans la file : le conseiller a perdu sa connexion",
    "console.ev.requeued.transferred": "Renvoyé dans la file d'attente",
    "console.ev.closed": "Clos par {name}",
    "console.ev.closed.ticket": "Converti en ticket par {name}",
    "console.ev.closed.bot": "La réponse du bot a résolu la demande",
    "console.ev.closed.left": "Le visiteur est parti",
    "console.ev.choice.article": "A ouvert l'article {article}",
    "console.ev.choice.menu": "A appuyé sur « {label} »",
    "console.ev.feedback.yes": "A répondu Oui : l'article a aidé",
    "console.ev.feedback.no": "A répondu Non : l'article n'a pas aidé",
    "console.ev.note": "Note : {note}",
    "console.details.empty": "Ouvrez un chat pour voir avec qui vous parlez.",
    "console.details.page": "Page actuelle",
    "console.details.time": "Heure locale",
    "console.details.local": "{time} ({tz})",
    "console.details.browser": "Navigateur",
    "console.details.lang": "Langue",
    "console.details.site": "Site",
    "console.details.started": "Début du chat",
    "console.details.unknown": "Inconnu",
    "console.details.no_email": "Pas d'e-mail donné",
    "console.history.title": "Conversations et tickets précédents",
    "console.history.loading": "Chargement…",
    "console.history.none": "Rien de plus ancien pour ce visiteur.",
    "console.history.chat": "Chat du {date}",
    "console.history.ticket": "Ticket",
    "console.conv_status.bot": "Avec le bot",
    "console.conv_status.queued": "En attente",
    "console.conv_status.assigned": "Ouvert",
    "console.conv_status.closed": "Clos",
    "console.resolution.bot": "résolu par le bot",
    "console.resolution.ticket": "devenu un ticket",
    "console.ticket_status.new": "Nouveau",
    "console.ticket_status.open": "Ouvert",
    "console.ticket_status.pending": "En attente",
    "console.ticket_status.resolved": "Résolu",
    "console.ticket_status.closed": "Clos",
    "console.canned.title": "Réponses types",
    "console.canned.open": "Insérer une réponse type",
    "console.canned.short": "Réponses types",
    "console.canned.none": "Aucune réponse type ne correspond.",
    "console.canned.manage": "Gérer les réponses types",
    "console.canned.shared": "Partagée",
    "console.canned.unknown": "Aucune réponse type n'a le raccourci /{shortcut}.",
    "console.canned.unfilled": "Certains champs n'ont pas pu être remplis : {names}",
    "console.kb.open": "Base de connaissances",
    "console.kb.title": "Base de connaissances",
    "console.kb.search": "Chercher un article",
    "console.kb.none": "Aucun article publié ne correspond.",
    "console.kb.insert_link": "Insérer le lien",
    "console.kb.insert_text": "Insérer le texte",
    "console.kb.view": "Voir",
    "console.dialog.close": "Fermer cette fenêtre",
    "console.cancel": "Annuler",
    "console.transfer.title": "Transférer le chat avec {name}",
    "console.transfer.to": "Transférer à",
    "console.transfer.queue": "Retour dans la file (en tête)",
    "console.transfer.agent": "{name} ({load}/{capacity} chats)",
    "console.transfer.loading": "Recherche des conseillers disponibles…",
    "console.transfer.count": "Seuls les conseillers en ligne avec une place libre sont listés.",
    "console.transfer.none": (
        "Aucun autre conseiller n'est en ligne avec une place libre : vous pouvez renvoyer le chat dans la file."
    ),
    "console.transfer.failed": (
        "La liste des conseillers n'a pas pu être chargée : vous pouvez quand même renvoyer le chat dans la file."
    ),
    "console.transfer.note": "Note pour le prochain conseiller (facultatif)",
    "console.transfer.note_hint": "Personnel seulement : le visiteur ne la voit pas.",
    "console.transfer.confirm": "Transférer",
    "console.transfer.sent": "Transfert envoyé.",
    "console.transfer.requeued": "Le chat retourne dans la file d'attente.",
    "console.close.title": "Clore ce chat ?",
    "console.close.text": "Le chat avec {name} se termine pour vous deux. Le visiteur pourra être invité à le noter.",
    "console.close.confirm": "Clore le chat",
    "console.convert.reason": "Pourquoi un ticket ? (personnel seulement)",
    "console.convert.empty": "Indiquez une raison.",
    "console.convert.confirm": "Créer le ticket et clore",
    "console.convert.done": "Ticket créé ; le chat est clos.",
    "console.last.you": "Vous : {text}",
    "console.convert.open": "Ouvrir le ticket",
    "console.banner.close": "Masquer ce message",
    "console.error.over_capacity": "Impossible : la capacité serait dépassée (la vôtre ou celle de l'autre conseiller).",
    "console.error.not_found": "Ce chat n'est pas le vôtre, ou n'existe plus.",
    "console.error.invalid_state": "Impossible pour l'instant : le chat ou le conseiller a changé entre-temps.",
    "console.error.rate_limited": "Trop rapide : attendez un instant et réessayez.",
    "console.error.bad_frame": "Le serveur a refusé cette demande.",
    "console.error.forbidden": "Vous n'avez pas le droit de faire cela.",
    "console.error.error": "Une erreur s'est produite sur le serveur. Réessayez.",
    "console.error.offline": "Pas de connexion : attendez qu'elle revienne.",
    "console.key.next": "Chat suivant",
    "console.key.prev": "Chat précédent",
    "console.key.nth": "Ouvrir le chat 1 à 9 de la liste",
    "console.key.send": "Envoyer la réponse",
    "console.key.newline": "Nouvelle ligne",
    "console.key.canned": "Réponses types (au début de la réponse)",
    "console.key.expand": "Développer /raccourci",
    "console.key.note": "Passer de la réponse à la note interne",
    "console.key.kb": "Chercher dans la base de connaissances",
    "console.key.queue": "Aller à la file d'attente",
    "console.key.close": "Clore le chat (avec confirmation)",
    "console.key.help": "Cette aide",
    "console.key.escape": "Fermer une liste ou une fenêtre",
    "console.error.csrf_failed": (
        "Le jeton de sécurité de votre session a expiré : rechargez la page et réessayez."
    ),
    "console.error.bad_request": "La demande n'était pas valide.",
    "console.error.conflict": "Cela entre en conflit avec un changement fait entre-temps.",
    "console.error.unavailable": "Le service est momentanément indisponible. Réessayez dans un instant.",
    "console.error.internal": "Une erreur s'est produite sur le serveur. Réessayez.",
    "console.error.http_error": "Le serveur n'a pas répondu comme prévu. Réessayez.",
    "console.error.unauthorized": "Vous êtes déconnecté : reconnectez-vous.",
    "console.error.password_change_required": "Choisissez d'abord un nouveau mot de passe.",
    "console.error.too_many_connections": "Trop de connexions à la fois : fermez un onglet et réessayez.",
    "console.error.slow_consumer": "La connexion était trop lente et a été rouverte.",
    "console.error.origin_not_allowed": "Cette page ne peut pas se connecter d'ici.",
    "console.error.unsupported_version": "Cette page n'est plus à jour : rechargez-la.",
    "console.error.no_answer": "Pas de réponse du serveur.",
    "console.error.too_long": (
        "Trop long pour partir : {n} caractères, {max} au plus. Raccourcissez ou envoyez en plusieurs fois."
    ),
    "console.copy": "Copier",
    "console.copied": "Copié.",
    "console.ev.choice.some_article": "A ouvert un article",
    "console.ev.other": "Il s'est passé quelque chose dans le chat",
    "console.bot.tag": "Robot",
    "console.offline.title": "Passer hors ligne ?",
    "console.offline.text.one": "Votre chat ouvert retourne dans la file pour un autre conseiller.",
    "console.offline.text.other": "Vos {n} chats ouverts retournent dans la file pour d'autres conseillers.",
    "console.offline.confirm": "Passer hors ligne",
    "console.transfer.waiting": "Transfert en cours…",
    "console.clear_ended": "Retirer les terminés",
    "console.kbd.alt": "Alt",
    "console.kbd.ctrl": "Ctrl",
    "console.kbd.shift": "Maj",
    "console.kbd.enter": "Entrée",
    "console.kbd.tab": "Tab",
    "console.kbd.esc": "Échap",
    "console.help.mac": "Sur Mac : Contrôle + Option au lieu d'Alt (Option seule tape les accents).",
    "console.help.typing": (
        "Dans la zone de réponse, une touche Alt qui tape un caractère (comme AltGr + Q pour @) le tape : "
        "pas de raccourci."
    ),
    "console.help.storage": (
        "Les brouillons et les messages pas encore partis restent dans ce navigateur jusqu'à leur envoi, "
        "et sont effacés quand vous vous déconnectez."
    ),
    "help.site": "Centre d'aide",
    "help.eyebrow": "Article d'aide",
    "help.updated": "Mis à jour le {date}",
    "help.more.title": "Besoin d'aide supplémentaire ?",
    "help.more.text": "Revenez au chat du site d'où vous venez : une personne vous y répondra.",
    "help.not_found.title": "Article introuvable",
    "help.not_found.text": "Cet article d'aide n'existe pas ou n'est plus publié.",
    "help.footer": "Centre d'aide · chatsvc",
}.items()})
