"""The rule catalogue: codes, names and metadata, and the rule pages shipped with mplint.

Codes are never renumbered or reused (see RULES.md). Messages live beside the
checks that emit them; this module only knows what every rule is called.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    name: str
    summary: str
    default_on: bool = True
    # "spawn": breaks under spawn/forkserver only; "fork": only when fork is possible.
    start_methods: str | None = None


RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        Rule(
            "MP101",
            "unguarded-process-start",
            "process, pool, executor or manager started at import time",
            start_methods="spawn",
        ),
        Rule("MP102", "start-method-misuse", "set_start_method() unguarded, twice, or too late"),
        Rule(
            "MP103", "unpicklable-callable", "lambda, nested function or local-class method as task"
        ),
        Rule(
            "MP104",
            "process-init-without-super",
            "Process subclass __init__ skips super().__init__",
        ),
        Rule(
            "MP105", "run-instead-of-start", "run() called instead of start(), or start overridden"
        ),
        Rule("MP106", "target-called-not-passed", "task function called in the parent, not passed"),
        Rule("MP107", "args-not-a-tuple", "args= is not a tuple"),
        Rule(
            "MP108",
            "fork-with-threads",
            "fork after threads were started",
            start_methods="fork",
        ),
        Rule("MP109", "fork-child-falls-through", "os.fork() child branch does not exit"),
        Rule(
            "MP110",
            "global-mutation-in-child",
            "child assigns a global the parent reads",
        ),
        Rule("MP111", "start-twice", "start() called twice, or its None result used"),
        Rule("MP201", "process-never-joined", "started process never joined (zombie)"),
        Rule(
            "MP202", "terminate-unsafe", "terminate()/kill() on a process holding shared resources"
        ),
        Rule("MP203", "daemon-after-start", "daemon flag set after start()"),
        Rule("MP204", "daemon-has-children", "daemonic process creates processes"),
        Rule("MP205", "daemon-not-joined", "daemon process killed when the parent exits"),
        Rule("MP206", "exitcode-before-join", "exitcode read before join()"),
        Rule("MP207", "target-return-ignored", "Process target returns a value that is lost"),
        Rule("MP301", "async-result-ignored", "async result never checked: exceptions vanish"),
        Rule("MP302", "pool-join-without-close", "pool.join() without close() or terminate()"),
        Rule("MP303", "pool-exit-terminates", "with Pool exits before async work finished"),
        Rule("MP304", "pool-not-closed", "pool, executor or manager never closed"),
        Rule("MP305", "pool-in-loop", "pool or executor created inside a loop"),
        Rule("MP401", "unpicklable-payload", "unpicklable value sent to another process"),
        Rule("MP402", "join-before-drain", "process joined before its queue is drained"),
        Rule(
            "MP403",
            "thread-primitive-across-processes",
            "threading/queue object given to a process",
        ),
        Rule("MP404", "queue-size-race", "empty()/full()/qsize() used to decide get or put"),
        Rule("MP405", "acquire-without-release", "acquire() not released in finally or with"),
        Rule(
            "MP406",
            "implicit-shared-resource",
            "module-level lock/queue/value used by a child without passing it",
            start_methods="spawn",
        ),
        Rule(
            "MP407",
            "condition-wait-without-predicate",
            "Condition.wait() outside a while loop",
        ),
        Rule("MP408", "shared-value-race", "Value/Array read-modify-write without get_lock()"),
        Rule("MP409", "queue-empty-misuse", "queue.Empty unhandled or spelled Queue.Empty"),
        Rule("MP410", "lock-made-per-use", "lock created where it is used: guards nothing"),
        Rule("MP411", "notify-without-lock", "notify()/wait() without holding the condition"),
        Rule("MP501", "proxy-nested-mutation", "nested value of a manager proxy mutated in place"),
        Rule("MP502", "manager-exposed", "manager on all interfaces or with a literal authkey"),
        Rule("MP503", "proxy-after-shutdown", "manager proxy used after the manager shut down"),
        Rule("MP601", "unflushed-exit", "child prints then os._exit() without flushing"),
        Rule("MP602", "log-handler-per-task", "logging handler added once per pool task"),
        Rule(
            "MP901",
            "blocking-call-without-timeout",
            "blocking call without a timeout in the parent",
            default_on=False,
        ),
    )
}


def normalize_lang(value: str | None) -> str:
    """Map a locale such as 'zh_CN.UTF-8', 'zh-Hans' or 'en-US' to 'en' or 'zh-CN'."""
    if value and value.strip().lower().replace("_", "-").startswith("zh"):
        return "zh-CN"
    return "en"


@cache  # asked once per diagnostic (its page's URL): the answer does not change
def _package_data_dir(name: str) -> Path:
    """rules/ and examples/ ship inside the wheel as mplint/_data/; in a checkout they sit
    beside the package."""
    package_dir = Path(__file__).resolve().parent
    installed = package_dir / "_data" / name
    if installed.is_dir():
        return installed
    return package_dir.parent / name


def rules_dir() -> Path:
    return _package_data_dir("rules")


def examples_dir() -> Path:
    return _package_data_dir("examples")


def page_path(code: str, lang: str = "en") -> Path:
    base = rules_dir()
    return base / f"{code}.md" if lang == "en" else base / lang / f"{code}.md"


@cache
def page_text(code: str, lang: str = "en") -> str | None:
    """The rule's page in the language asked for, falling back to English."""
    for candidate in (page_path(code, lang), page_path(code, "en")):
        try:
            return candidate.read_text(encoding="utf-8")
        except OSError:
            continue
    return None


_HEADING = re.compile(r"^## ", re.MULTILINE)


def page_summary(code: str, lang: str = "en") -> str:
    """The first paragraph of the page's first section: the short form for hovers."""
    text = page_text(code, lang)
    if not text:
        return RULES[code].summary
    sections = _HEADING.split(text)
    if len(sections) < 2:
        return RULES[code].summary
    body = sections[1].split("\n", 1)[1] if "\n" in sections[1] else ""
    paragraph = body.strip().split("\n\n", 1)[0].strip()
    return paragraph or RULES[code].summary


def doc_url(code: str, lang: str = "en", pattern: str | None = None) -> str:
    """Where the rule's page lives: a configured pattern, else the installed page."""
    if pattern:
        return pattern.format(code=code, name=RULES[code].name, lang=lang)
    return page_path(code, lang).as_uri()
