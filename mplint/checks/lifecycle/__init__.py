"""Process lifecycle (MP201-MP207): joining, terminating, daemonic processes, exit codes and a
target's return value.

One module per rule, named after the rule; importing this package registers them.
"""

from mplint.checks.lifecycle import (
    daemon_after_start,
    daemon_has_children,
    daemon_not_joined,
    exitcode_before_join,
    process_never_joined,
    target_return_ignored,
    terminate_unsafe,
)

RULE_MODULES = (
    process_never_joined,
    terminate_unsafe,
    daemon_after_start,
    daemon_has_children,
    daemon_not_joined,
    exitcode_before_join,
    target_return_ignored,
)
