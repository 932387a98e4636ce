"""The methods of a manager itself, which make no proxy (MP501, MP503)."""

from __future__ import annotations

# Methods of a manager that do not make proxies.
MANAGER_METHODS = frozenset(
    {"start", "shutdown", "connect", "join", "register", "get_server", "address", "__enter__"}
)
