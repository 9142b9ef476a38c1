from __future__ import annotations

from chatsvc.kbeval.cli import main

raise SystemExit(main())
