"""``chatsvc``: serve, and manage users, sites and teams from the shell.

Every management command goes through the same services as the admin pages and API (same checks, same
session revocation), against the database in ``CHATSVC_DATABASE_URL``; none writes SQL of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from chatsvc.errors import ChatError
from chatsvc.kbeval.cli import add_kb_eval_command
from chatsvc.settings import Settings

if TYPE_CHECKING:
    from chatsvc.services.admin import AdminService
    from chatsvc.services.container import Services

Work = Callable[["Services", "AdminService"], Awaitable[int]]


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from chatsvc.server import serve

    port = args.port if args.port is not None else int(os.environ.get("PORT", "8000"))
    serve(settings, args.host, port)
    return 0


_NO_TERMINAL = (
    "error: no terminal to type the password on. Pass it on standard input instead, for example:\n"
    "  printf '%s\\n' \"$PASSWORD\" | chatsvc user {command} --password-stdin"
)


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    command = f"{args.action} {getattr(args, 'email', '')}".strip() + (" …" if args.action == "add" else "")
    if not sys.stdin.isatty():
        # getpass would fall back to reading standard input and stop with EOFError on an empty one.
        raise SystemExit(_NO_TERMINAL.format(command=command))
    try:
        first = getpass.getpass("Password: ")
        again = getpass.getpass("Password again: ")
    except EOFError:
        raise SystemExit(_NO_TERMINAL.format(command=command)) from None
    if again != first:
        raise SystemExit("error: the two passwords differ.")
    return first


async def _with_services(settings: Settings, work: Work) -> int:
    """Run ``work(services, admin)`` against the configured database (migrated first), without serving.

    With Redis configured, revocations published here reach the sockets held by running servers.
    """
    from chatsvc.services.admin import AdminService
    from chatsvc.services.container import Services

    services = Services(settings)
    await services.db.migrate()
    try:
        return await work(services, AdminService.of(services))
    finally:
        await services.broker.stop()
        await services.db.close()


def _run(settings: Settings, work: Work) -> int:
    return asyncio.run(_with_services(settings, work))


def _table(rows: list[list[str]], header: list[str]) -> None:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


# --- users ---------------------------------------------------------------------------------------------


def _user_add(args: argparse.Namespace, settings: Settings) -> int:
    password = _read_password(args)

    async def work(services: Services, admin: AdminService) -> int:
        user = await admin.create_user(
            email=args.email, name=args.name, role=args.role, password=password, max_chats=args.max_chats,
            must_change_password=args.must_change,
        )
        print(f"created {user.role} {user.email} ({user.id})")
        return 0

    return _run(settings, work)


def _user_list(args: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services, admin: AdminService) -> int:
        default = services.settings.default_capacity
        rows = [
            [
                u.email,
                u.name,
                u.role,
                str(u.max_chats) if u.max_chats else f"{default} (default)",
                "disabled" if u.disabled else ("must change password" if u.must_change_password else "active"),
                u.last_login_at.strftime("%Y-%m-%d %H:%M") if u.last_login_at else "never",
                u.id,
            ]
            for u in await admin.list_users()
        ]
        _table(rows, ["EMAIL", "NAME", "ROLE", "MAX CHATS", "STATUS", "LAST SIGN-IN", "ID"])
        return 0

    return _run(settings, work)


def _user_disable(args: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services, admin: AdminService) -> int:
        user = await admin.user_by_email(args.email)
        await admin.update_user(user.id, disabled=not args.enable)
        print(f"{'enabled' if args.enable else 'disabled'} {user.email}")
        return 0

    return _run(settings, work)


def _user_set_password(args: argparse.Namespace, settings: Settings) -> int:
    password = _read_password(args)

    async def work(services: Services, admin: AdminService) -> int:
        user = await admin.user_by_email(args.email)
        await admin.set_password(user.id, password, must_change=args.must_change)
        print(f"password set for {user.email}; their sessions were ended")
        return 0

    return _run(settings, work)


# --- sites ---------------------------------------------------------------------------------------------


def _site_add(args: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services, admin: AdminService) -> int:
        site = await admin.create_site(key=args.key, name=args.name, allowed_origins=args.origin)
        print(f"created site {site.key} ({site.id}), allowed origins: {', '.join(site.allowed_origins) or 'none'}")
        return 0

    return _run(settings, work)


def _site_list(args: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services, admin: AdminService) -> int:
        rows = [
            [site.key, site.name, " ".join(site.allowed_origins) or "(none)", site.id]
            for site in await admin.list_sites()
        ]
        _table(rows, ["KEY", "NAME", "ALLOWED ORIGINS", "ID"])
        return 0

    return _run(settings, work)


def _site_set_origins(args: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services, admin: AdminService) -> int:
        site = await admin.site_by_key(args.key)
        site = await admin.update_site(site.id, allowed_origins=args.origins)
        print(f"site {site.key}: allowed origins now {', '.join(site.allowed_origins) or 'none'}")
        return 0

    return _run(settings, work)


# --- teams ---------------------------------------------------------------------------------------------


def _team_add(args: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services, admin: AdminService) -> int:
        team = await admin.create_team(name=args.name, topics=args.topic)
        print(f"created team {team.name} ({team.id}), topics: {', '.join(team.topics) or 'none'}")
        return 0

    return _run(settings, work)


def _team_list(args: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services, admin: AdminService) -> int:
        emails = {u.id: u.email for u in await admin.list_users()}
        rows = [
            [
                team.name,
                " ".join(team.topics) or "(none)",
                " ".join(emails.get(m, m) for m in team.member_ids) or "(none)",
                team.id,
            ]
            for team in await admin.list_teams()
        ]
        _table(rows, ["NAME", "TOPICS", "MEMBERS", "ID"])
        return 0

    return _run(settings, work)


def _team_add_member(args: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services, admin: AdminService) -> int:
        team = await admin.team_by_name(args.team)
        user = await admin.user_by_email(args.email)
        if user.id in team.member_ids:
            print(f"{user.email} is already a member of team {team.name}: nothing changed")
            return 0
        await admin.add_member(team.id, user.id)
        print(f"added {user.email} to team {team.name}")
        return 0

    return _run(settings, work)


# --- knowledge base ------------------------------------------------------------------------------------


def _kb_import(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from chatsvc.kbtools.importer import import_path

    async def work(services: Services, admin: AdminService) -> int:
        try:
            report = await import_path(
                services.kb, Path(args.path), fmt=args.format, dry_run=args.dry_run, progress=args.progress
            )
        except (OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        for where, why in report.failed:
            print(f"{args.path}: {where}: {why}", file=sys.stderr)
        if not report.applied and not report.failed:
            found = "no .md file" if Path(args.path).is_dir() else "no article"
            print(f"error: {found} found in {args.path}: nothing to import", file=sys.stderr)
            return 1
        print(report.summary())
        return 1 if report.failed else 0

    return _run(settings, work)


def _kb_export(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from chatsvc.kbtools.exporter import export_articles

    async def work(services: Services, admin: AdminService) -> int:
        output = Path(args.output) if args.output and args.output != "-" else None
        try:
            written = await export_articles(
                services.kb, fmt=args.format, output=output, published_only=args.published_only
            )
        except (OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"exported {written} articles" + (f" to {output}" if output else ""), file=sys.stderr)
        return 0

    return _run(settings, work)


# --- the parser ----------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chatsvc", description="Self-hosted live chat for support teams.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=None, help="default: $PORT, else 8000")
    serve.set_defaults(func=_serve)

    user = commands.add_parser("user", help="manage staff accounts").add_subparsers(dest="action", required=True)
    add = user.add_parser("add", help="create an agent, manager or admin")
    add.add_argument("--role", choices=["agent", "manager", "admin"], required=True)
    add.add_argument("--email", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--max-chats", type=int, default=None, help="concurrent chats (default: server setting)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.add_argument("--must-change", action="store_true", help="make them choose a new password at first sign-in")
    add.set_defaults(func=_user_add)

    user.add_parser("list", help="list staff accounts").set_defaults(func=_user_list)

    disable = user.add_parser("disable", help="disable an account: its sessions end and its sockets close")
    disable.add_argument("email")
    disable.set_defaults(func=_user_disable, enable=False)
    enable = user.add_parser("enable", help="enable a disabled account again")
    enable.add_argument("email")
    enable.set_defaults(func=_user_disable, enable=True)

    set_password = user.add_parser("set-password", help="set an account's password (its sessions end)")
    set_password.add_argument("email")
    set_password.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    set_password.add_argument(
        "--must-change", action="store_true", help="make them choose a new password at their next sign-in"
    )
    set_password.set_defaults(func=_user_set_password)

    site = commands.add_parser("site", help="manage sites (a key per website visitors chat from)").add_subparsers(
        dest="action", required=True
    )
    site_add = site.add_parser("add", help="create a site")
    site_add.add_argument("--key", required=True, help="public key: identifies the site for visitor sessions and sockets (/ws/visitor?site=KEY)")
    site_add.add_argument("--name", required=True)
    site_add.add_argument(
        "--origin", action="append", default=[], help="an exact allowed origin, e.g. https://www.example.com (repeat)"
    )
    site_add.set_defaults(func=_site_add)
    site.add_parser("list", help="list sites").set_defaults(func=_site_list)
    set_origins = site.add_parser("set-origins", help="replace a site's allowed origins")
    set_origins.add_argument("key")
    set_origins.add_argument("origins", nargs="*", help="exact origins; none: browsers may not open chats")
    set_origins.set_defaults(func=_site_set_origins)

    team = commands.add_parser("team", help="manage teams").add_subparsers(dest="action", required=True)
    team_add = team.add_parser("add", help="create a team")
    team_add.add_argument("name")
    team_add.add_argument("--topic", action="append", default=[], help="a topic the team answers (repeat)")
    team_add.set_defaults(func=_team_add)
    team.add_parser("list", help="list teams").set_defaults(func=_team_list)
    add_member = team.add_parser("add-member", help="add a user to a team")
    add_member.add_argument("team", help="the team's name")
    add_member.add_argument("email")
    add_member.set_defaults(func=_team_add_member)

    kb = commands.add_parser("kb", help="knowledge base: import, export, evaluate").add_subparsers(
        dest="action", required=True
    )
    kb_import = kb.add_parser(
        "import",
        help="create or update articles by id from a JSON Lines or CSV file, or a folder of Markdown files",
    )
    kb_import.add_argument("path", help="a .jsonl or .csv file, or a folder of .md files with front matter")
    kb_import.add_argument("--format", choices=["jsonl", "csv", "md"], default=None,
                           help="default: from the path (folder: md; .jsonl/.ndjson: jsonl; .csv: csv)")
    kb_import.add_argument("--dry-run", action="store_true", help="check every record, write nothing")
    kb_import.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                           help="progress bar on stderr (default: for large imports on a terminal)")
    kb_import.set_defaults(func=_kb_import)
    kb_export = kb.add_parser("export", help="write every article as JSON Lines (default), CSV or Markdown files")
    kb_export.add_argument("--format", choices=["jsonl", "csv", "md"], default="jsonl")
    kb_export.add_argument("--output", "-o", default=None,
                           help="a file (default: standard output); for md, a folder (required)")
    kb_export.add_argument("--published-only", action="store_true", help="leave drafts out")
    kb_export.set_defaults(func=_kb_export)
    add_kb_eval_command(kb)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except ValueError as exc:  # a setting that cannot be used (an unknown time zone...): say which, do not start
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        return int(args.func(args, settings))
    except ChatError as exc:
        print(f"error: {exc.message} ({exc.code})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
