"""What a child sees of its parent (MP112-MP114): state the parent set up at run time, tasks
defined under the main guard, changes a child makes that the parent never sees.

One module per rule, named after the rule; importing this package registers them.
"""

from mplint.checks.children import (
    child_changes_lost,
    parent_state_not_inherited,
    task_defined_in_main,
)

RULE_MODULES = (
    parent_state_not_inherited,
    task_defined_in_main,
    child_changes_lost,
)
