"""Raw forks and what a forked child inherits (MP108-MP110, MP116): threads at fork time,
children that fall through into the parent's code, globals changed in a child, forks nobody
reaps.

One module per rule, named after the rule; importing this package registers them.
"""

from mplint.checks.fork import (
    fork_child_falls_through,
    fork_child_not_waited,
    fork_with_threads,
    global_mutation_in_child,
)

RULE_MODULES = (
    fork_with_threads,
    fork_child_falls_through,
    global_mutation_in_child,
    fork_child_not_waited,
)
