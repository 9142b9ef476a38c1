"""``python -m bench.seed --agents N --capacity K``: the benchmark's agents, made by chatsvc's own CLI.

It calls ``chatsvc.cli.main(["user", "add", ...])`` once per agent, exactly as ``chatsvc user add
--password-stdin`` would run, but in one interpreter: twenty separate ``chatsvc`` processes would spend most of
their time importing (about 0.5 s each on 2 cores) before hashing one password. The database comes from the
same ``CHATSVC_*`` environment the server gets.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import sys

from chatsvc import cli

PASSWORD = "bench-agent-password"  # every benchmark agent's


def email(agent: int) -> str:
    return f"agent{agent}@bench.example"


async def create_agents(env: dict[str, str], agents: int, capacity: int) -> None:
    """Run this module in a child process with the server's ``CHATSVC_*`` environment ``env`` (the password on
    its standard input, as ``--password-stdin`` takes it)."""
    from bench.procs import python_module  # the child that runs this module never needs it

    process = await asyncio.create_subprocess_exec(
        *python_module("bench.seed", "--agents", str(agents), "--capacity", str(capacity)),
        env={**os.environ, **env},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate((PASSWORD + "\n").encode())
    if process.returncode != 0:
        raise RuntimeError(f"creating agents failed ({process.returncode}):\n{output.decode()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.seed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, required=True)
    parser.add_argument("--capacity", type=int, required=True)
    args = parser.parse_args(argv)
    password = sys.stdin.readline().rstrip("\n")
    for agent in range(args.agents):
        sys.stdin = io.StringIO(password + "\n")  # what --password-stdin reads, once per user
        code = cli.main(
            [
                "user",
                "add",
                "--role",
                "agent",
                "--email",
                email(agent),
                "--name",
                f"Agent {agent}",
                "--password-stdin",
                "--max-chats",
                str(args.capacity),
            ]
        )
        if code != 0:
            return code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
