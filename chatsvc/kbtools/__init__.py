"""Knowledge-base files: ``chatsvc kb import`` and ``chatsvc kb export`` (JSON Lines, CSV, Markdown folders)."""
