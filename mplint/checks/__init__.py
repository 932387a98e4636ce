"""Every rule family; importing this package registers all checks."""

from mplint.checks import (
    children,
    fork,
    lifecycle,
    lifecycle_extra,
    managers,
    opinionated,
    output,
    pool_misuse,
    pools,
    start,
    startup,
    sync,
    sync_keywords,
    third_party,
)
from mplint.checks.base import MESSAGES, REGISTRY, Check, Finding, Message, Phrase

FAMILIES = (
    start,
    startup,
    fork,
    children,
    lifecycle,
    lifecycle_extra,
    pools,
    pool_misuse,
    sync,
    sync_keywords,
    managers,
    output,
    opinionated,
    third_party,
)

# Not a family: run by the engine on notebooks only. Imported so that its message is
# registered with the others.
from mplint.checks import notebook  # noqa: E402, F401

__all__ = ["FAMILIES", "MESSAGES", "REGISTRY", "Check", "Finding", "Message", "Phrase"]
