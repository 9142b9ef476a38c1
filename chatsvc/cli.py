"""``chatsvc``: serve, and manage users, sites and teams from the shell."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Awaitable, Callable, Sequence

from chatsvc.errors import ChatError
from chatsvc.settings import Settings


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from chatsvc.server import serve

    port = args.port if args.port is not None else int(os.environ.get("PORT", "8000"))
    serve(settings, args.host, port)
    return 0


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise SystemExit("The two passwords differ.")
    return first


async def _with_services(settings: Settings, work: Callable[..., Awaitable[int]]) -> int:
    """Run ``work(services)`` against the configured database (migrated first), without serving."""
    from chatsvc.services.container import Services

    services = Services(settings)
    await services.db.migrate()
    try:
        return await work(services)
    finally:
        await services.db.close()


def _user_add(args: argparse.Namespace, settings: Settings) -> int:
    password = _read_password(args)

    async def work(services) -> int:  # type: ignore[no-untyped-def]
        user = await services.accounts.create_user(
            email=args.email, name=args.name, role=args.role, password=password, max_chats=args.max_chats
        )
        print(f"created {user.role} {user.email} ({user.id})")
        return 0

    return asyncio.run(_with_services(settings, work))


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
    add.set_defaults(func=_user_add)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env()
    try:
        return int(args.func(args, settings))
    except ChatError as exc:
        print(f"error: {exc.message} ({exc.code})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
