"""Starting processes (MP101-MP107, MP111, MP115): the main guard, what a child is given to
run, start methods, and calls made in the wrong order.

One module per rule, named after the rule; importing this package registers them.
"""

from mplint.checks.start import (
    args_not_a_tuple,
    join_before_start,
    process_init_without_super,
    run_instead_of_start,
    start_method_misuse,
    start_twice,
    target_called_not_passed,
    unguarded_process_start,
    unpicklable_callable,
)

RULE_MODULES = (
    unguarded_process_start,
    start_method_misuse,
    unpicklable_callable,
    process_init_without_super,
    run_instead_of_start,
    target_called_not_passed,
    args_not_a_tuple,
    start_twice,
    join_before_start,
)
