"""Output and logging in children (MP601-MP602).

One module per rule, named after the rule; importing this package registers them.
"""

from mplint.checks.output import (
    log_handler_per_task,
    unflushed_exit,
)

RULE_MODULES = (
    unflushed_exit,
    log_handler_per_task,
)
