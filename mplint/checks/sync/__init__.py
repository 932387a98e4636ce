"""Communication and synchronisation (MP401-MP413): what goes through queues and pipes, locks,
conditions and shared values.

One module per rule, named after the rule; importing this package registers them.
"""

from mplint.checks.sync import (
    acquire_blocking_keyword,
    acquire_without_release,
    condition_wait_without_predicate,
    condition_with_thread_lock,
    implicit_shared_resource,
    join_before_drain,
    lock_made_per_use,
    notify_without_lock,
    queue_empty_misuse,
    queue_size_race,
    shared_value_race,
    thread_primitive_across_processes,
    unpicklable_payload,
)

RULE_MODULES = (
    unpicklable_payload,
    join_before_drain,
    thread_primitive_across_processes,
    queue_size_race,
    acquire_without_release,
    implicit_shared_resource,
    condition_wait_without_predicate,
    shared_value_race,
    queue_empty_misuse,
    lock_made_per_use,
    notify_without_lock,
    acquire_blocking_keyword,
    condition_with_thread_lock,
)
