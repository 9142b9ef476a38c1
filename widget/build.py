"""Build the visitor widget: ``widget/widget.js`` minified with rjsmin into ``chatsvc/web/static/widget.js``.

    python widget/build.py           # (re)writes the built file and prints its size
    python widget/build.py --check   # exits 1 when the built file is missing or differs from a fresh build

The built file is committed, so installing and serving need no build step (and no Node); a test fails when it
is stale. rjsmin only removes comments and white space: the built file runs exactly as the source does.
"""

from __future__ import annotations

import argparse
import gzip
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "widget" / "widget.js"
OUTPUT = ROOT / "chatsvc" / "web" / "static" / "widget.js"
# What the host page may download before the visitor opens the chat (issue 5): the script, gzipped.
BUDGET_GZIPPED = 25 * 1024


def minify(source: str) -> str:
    import rjsmin  # the test extra; imported here so --help works without it

    return str(rjsmin.jsmin(source, keep_bang_comments=True)).strip() + "\n"


def build() -> str:
    return minify(SOURCE.read_text(encoding="utf-8"))


def gzipped_size(text: str) -> int:
    """Bytes on the wire when served gzipped (level 9, as the server compresses it)."""
    return len(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the built file is stale; write nothing")
    args = parser.parse_args(argv)
    built = build()
    relative = OUTPUT.relative_to(ROOT)
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else None
        if current != built:
            print(f"{relative} is stale: run `make widget` (python widget/build.py) and commit it", file=sys.stderr)
            return 1
        print(f"{relative} is up to date")
        return 0
    OUTPUT.write_text(built, encoding="utf-8")
    size = gzipped_size(built)
    print(
        f"wrote {relative}: {len(built.encode('utf-8')):,} bytes, {size:,} bytes gzipped "
        f"({size / 1024:.1f} KiB of the {BUDGET_GZIPPED // 1024} KiB budget)"
    )
    return 0 if size <= BUDGET_GZIPPED else 1


if __name__ == "__main__":
    sys.exit(main())
