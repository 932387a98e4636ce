"""Pools and executors (MP301-MP307): results, closing and joining, the with block, pools made
in loops, results awaited one at a time.

One module per rule, named after the rule; importing this package registers them.
"""

from mplint.checks.pools import (
    async_result_ignored,
    pool_exit_terminates,
    pool_in_loop,
    pool_join_without_close,
    pool_not_closed,
    pool_used_after_close,
    result_awaited_at_once,
)

RULE_MODULES = (
    async_result_ignored,
    pool_join_without_close,
    pool_exit_terminates,
    pool_not_closed,
    pool_in_loop,
    pool_used_after_close,
    result_awaited_at_once,
)
