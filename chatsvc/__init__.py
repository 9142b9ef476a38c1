"""chatsvc: a self-hosted real-time live-chat server for support teams."""

__version__ = "0.1.0"
