"""Every rule family; importing this package registers all checks."""

from mplint.checks import lifecycle, managers, output, pools, start, sync
from mplint.checks.base import MESSAGES, REGISTRY, Check, Finding, Message

__all__ = [
    "MESSAGES",
    "REGISTRY",
    "Check",
    "Finding",
    "Message",
    "lifecycle",
    "managers",
    "output",
    "pools",
    "start",
    "sync",
]
