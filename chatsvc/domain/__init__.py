"""Pure rules, no I/O: nothing here imports starlette, SQL, redis or sockets. Time comes in as ``now``."""
