"""Every rule family; importing this package registers all checks."""

from mplint.checks import (
    fork,
    lifecycle,
    managers,
    opinionated,
    output,
    pools,
    start,
    startup,
    sync,
)
from mplint.checks.base import MESSAGES, REGISTRY, Check, Finding, Message, Phrase

FAMILIES = (start, startup, fork, lifecycle, pools, sync, managers, output, opinionated)

__all__ = ["FAMILIES", "MESSAGES", "REGISTRY", "Check", "Finding", "Message", "Phrase"]
