"""Every rule family; importing this package registers all checks."""

from mplint.checks import (
    children,
    fork,
    lifecycle,
    lifecycle_extra,
    managers,
    opinionated,
    output,
    pools,
    start,
    startup,
    sync,
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
    sync,
    managers,
    output,
    opinionated,
)

__all__ = ["FAMILIES", "MESSAGES", "REGISTRY", "Check", "Finding", "Message", "Phrase"]
