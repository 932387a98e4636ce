"""Opinionated rules, off by default (MP9xx; turn them on with `--select MP9`).

One module per rule, named after the rule; importing this package registers them.
"""

from mplint.checks.opinionated import (
    blocking_call_without_timeout,
)

RULE_MODULES = (blocking_call_without_timeout,)
