"""Start ``mplint lsp`` with two extra checks, for the language server tests.

- a check that raises whenever it runs on a file containing ``MPLINT_TEST_RAISE``;
- a check that sleeps ``MPLINT_TEST_SLOW=<seconds>`` seconds, to make a lint long.

Both register for MP101 so they run under the default selection and report nothing.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterator

from mplint.checks.base import REGISTRY, Check, Finding
from mplint.facts import Facts

_SLOW = re.compile(r"MPLINT_TEST_SLOW=([0-9.]+)")


def raising_check(facts: Facts) -> Iterator[Finding]:
    if "MPLINT_TEST_RAISE" in facts.module.code:
        raise RuntimeError("a check broke on purpose (test)")
    return iter(())


def slow_check(facts: Facts) -> Iterator[Finding]:
    match = _SLOW.search(facts.module.code)
    if match:
        time.sleep(float(match.group(1)))
    return iter(())


def main() -> int:
    REGISTRY.append(Check(("MP101",), raising_check))
    REGISTRY.append(Check(("MP101",), slow_check))
    from mplint.lsp import main as lsp_main

    return lsp_main()


if __name__ == "__main__":
    sys.exit(main())
