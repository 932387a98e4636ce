"""Managers and their proxies (MP501-MP503).

One module per rule, named after the rule; importing this package registers them.
"""

from mplint.checks.managers import (
    manager_exposed,
    proxy_after_shutdown,
    proxy_nested_mutation,
)

RULE_MODULES = (
    proxy_nested_mutation,
    manager_exposed,
    proxy_after_shutdown,
)
