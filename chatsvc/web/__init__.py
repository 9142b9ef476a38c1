"""HTTP and WebSocket edge: decode, authorize, call a service, encode. Routes never touch storage."""
