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
        Rule(
            "MP112",
            "parent-state-not-inherited",
            "child reads a global the parent sets only at run time",
            start_methods="spawn",
        ),
        Rule(
            "MP113",
            "task-defined-in-main",
            "task function or class defined under the main guard",
            start_methods="spawn",
        ),
        Rule("MP114", "child-changes-lost", "child changes state in place that the parent reads"),
        Rule("MP115", "join-before-start", "join()/close() before start(), or close() too early"),
        Rule("MP116", "fork-child-not-waited", "os.fork() child never waited for (zombie)"),
        Rule(
            "MP201",
            "process-never-joined",
            "unjoined process: crashes under spawn, results read too early, zombies in a loop",
        ),
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
        Rule("MP304", "pool-not-closed", "pool never closed: pending tasks killed at exit"),
        Rule("MP305", "pool-in-loop", "pool or executor created inside a loop"),
        Rule("MP306", "pool-used-after-close", "task given to a pool or executor after close()"),
        Rule(
            "MP307",
            "result-awaited-at-once",
            "each task waited for before the next is submitted",
        ),
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
        Rule(
            "MP412", "acquire-blocking-keyword", "acquire(blocking=...) on a multiprocessing lock"
        ),
        Rule(
            "MP413",
            "condition-with-thread-lock",
            "multiprocessing Condition built on a threading lock",
        ),
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


# The catalogue's one-line summaries in Simplified Chinese (`mplint rules` in zh-CN).
# Codes announced in RULES.md but not yet in RULES may appear here ahead of their rule.
SUMMARIES_ZH: dict[str, str] = {
    "MP101": "进程、进程池、执行器或管理器在模块导入时就被启动",
    "MP102": "set_start_method() 没有入口保护、调用了两次或调用得太晚",
    "MP103": "lambda、嵌套函数或局部类的方法被用作任务",
    "MP104": "Process 子类的 __init__ 没有调用 super().__init__()",
    "MP105": "调用了 run() 而不是 start()，或者重写了 start",
    "MP106": "任务函数在父进程里被调用，而不是被传进去",
    "MP107": "args= 不是元组",
    "MP108": "线程启动之后又 fork",
    "MP109": "os.fork() 的子进程分支没有退出",
    "MP110": "子进程给父进程要读的全局变量赋值",
    "MP111": "start() 被调用两次，或者使用了它返回的 None",
    "MP112": "子进程读取父进程在运行时才设置的全局状态",
    "MP113": "任务函数定义在入口保护之下",
    "MP114": "子进程做的修改，父进程看不到",
    "MP115": "在 start() 之前 join() 或 close() 进程",
    "MP116": "os.fork() 的子进程没有被 wait() 回收",
    "MP201": "未被 join 的进程：spawn 下崩溃、结果读得太早、循环里留下僵尸进程",
    "MP202": "对持有共享资源的进程调用 terminate()/kill()",
    "MP203": "在 start() 之后才设置 daemon 标志",
    "MP204": "守护进程又创建子进程",
    "MP205": "父进程退出时守护进程被杀掉",
    "MP206": "在 join() 之前读取 exitcode",
    "MP207": "Process 的目标函数返回的值被丢掉",
    "MP301": "异步结果从未检查：异常悄悄消失",
    "MP302": "pool.join() 之前没有 close() 或 terminate()",
    "MP303": "with Pool 块在异步任务完成前就结束了",
    "MP304": "进程池从未关闭：未完成的任务在退出时被杀掉",
    "MP305": "在循环里创建进程池或执行器",
    "MP306": "进程池或执行器关闭之后还在提交任务",
    "MP307": "每提交一个任务就立刻等待它的结果",
    "MP401": "把无法序列化的值发给另一个进程",
    "MP402": "在取完队列数据之前就 join() 了写队列的进程",
    "MP403": "把 threading/queue 的对象交给进程",
    "MP404": "用 empty()/full()/qsize() 决定是否 get 或 put",
    "MP405": "acquire() 之后没有在 finally 或 with 里释放",
    "MP406": "子进程直接使用模块级的锁、队列或共享值，而没有作为参数传入",
    "MP407": "Condition.wait() 不在 while 循环里",
    "MP408": "Value/Array 的读-改-写没有用 get_lock() 保护",
    "MP409": "没有处理 queue.Empty，或写成了 Queue.Empty",
    "MP410": "锁在使用的地方才创建：什么也保护不了",
    "MP411": "没有持有条件变量的锁就 notify()/wait()",
    "MP412": "multiprocessing 的锁用了 threading 的 blocking= 关键字",
    "MP413": "multiprocessing.Condition 用了 threading 的锁",
    "MP501": "原地修改了管理器代理里嵌套的值",
    "MP502": "管理器监听所有网卡，或者 authkey 写死在代码里",
    "MP503": "管理器关闭之后还在使用它的代理",
    "MP601": "子进程 print 之后没有刷新缓冲就 os._exit()",
    "MP602": "每个进程池任务都添加一次日志处理器",
    "MP901": "父进程里没有超时的阻塞调用",
}


def rule_summary(code: str, lang: str = "en") -> str:
    """The catalogue's one-line summary in the language asked for (English if none)."""
    if lang == "zh-CN" and code in SUMMARIES_ZH:
        return SUMMARIES_ZH[code]
    return RULES[code].summary


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
    """Where the rule's page lives: a configured pattern, else the installed page. The
    pattern's ``{code}`` and ``{name}`` are replaced as plain text (never ``str.format``,
    which would read attributes and fail on stray braces)."""
    if pattern:
        return pattern.replace("{code}", code).replace("{name}", RULES[code].name)
    return page_path(code, lang).as_uri()


# -- Guides: topics that matter to students but have no rule ------------------------------


def guides_dir(lang: str = "en") -> Path:
    base = rules_dir() / "guides"
    return base if lang == "en" else base / lang


def guide_names() -> list[str]:
    """Every guide, by file name without ``.md`` (``ctrl-c``, ``orphans``, ...)."""
    directory = guides_dir()
    if not directory.is_dir():
        return []
    return sorted(path.stem for path in directory.glob("*.md"))


def guide_name(text: str) -> str | None:
    """``guide:ctrl-c``, ``ctrl-c`` or ``Ctrl-C`` -> ``ctrl-c`` when such a guide exists."""
    name = text.strip().lower()
    name = name.removeprefix("guide:").removeprefix("guides/").removesuffix(".md")
    return name if name in guide_names() else None


@cache
def guide_text(name: str, lang: str = "en") -> str | None:
    """The guide in the language asked for, falling back to English."""
    for candidate in (guides_dir(lang) / f"{name}.md", guides_dir() / f"{name}.md"):
        try:
            return candidate.read_text(encoding="utf-8")
        except OSError:
            continue
    return None
