"""Every rule family; importing this package registers all checks.

A family is a package with one module per rule (``checks/lifecycle/process_never_joined.py``
is MP201 process-never-joined), and, where its rules share an analysis, a module named for
what that analysis answers. ``third_party`` reports the same rules when a library (Celery,
DataLoader, joblib) starts the children.
"""

from mplint.checks import (
    children,
    fork,
    lifecycle,
    managers,
    opinionated,
    output,
    pools,
    start,
    sync,
    third_party,
)
from mplint.checks.base import MESSAGES, REGISTRY, Check, Finding, Message, Phrase

FAMILIES = (start, fork, children, lifecycle, pools, sync, managers, output, opinionated)

# Not a family: run by the engine on notebooks only. Imported so that its message is
# registered with the others.
from mplint.checks import notebook  # noqa: E402

__all__ = [
    "FAMILIES",
    "MESSAGES",
    "REGISTRY",
    "Check",
    "Finding",
    "Message",
    "Phrase",
    "notebook",
    "third_party",
]
