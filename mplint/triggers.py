"""Which files earn a libcst parse: the two filters in front of the analysis.

Every rule is about a process API: a process, pool, executor, manager, queue, lock or
shared value made with one, a start method, or a fork. A file that uses none of them
gives no finding, so it is never parsed with libcst (about ten times the cost of
``ast.parse``). Two gates decide, each cheaper than the next step:

1. ``mentions_process_api(text)``: the text has a line that imports a process module
   or calls ``fork(``. A ``str.find`` per word, a regular expression only on the lines
   found. About 1% of ``ast.parse``; lets through about 4% of real code.
2. ``uses_process_api(text)``: what the file really uses, read from its text with
   comments and string literals blanked out. Every name bound by an import is
   followed to each use; a use whose resolved name (``mp.Pool`` ->
   ``multiprocessing.Pool``) lies under ``TRIGGER_PREFIXES`` or is a constructor the
   analysis gives a kind (``TRIGGER_CONSTRUCTORS``: ``threading.Condition`` and
   ``ThreadPoolExecutor`` too, which rules flag on their own) counts, unless it is in
   ``INERT``: names that make no object any rule follows (``cpu_count()``, an
   exception class, a constant). Threads, their locks and queues, and open files
   (``COMPANION_KINDS``) matter only beside a process API, so they alone do not count;
   nor do docstrings, comments, imports never used and a ``fork()`` of one's own.
   Anything this pass cannot follow (a star import from a process module, an import
   after ``;`` or ``if x:``) counts, so the analysis decides. About 1% of
   ``ast.parse`` (an ``ast`` pass would cost a quarter of the libcst parses it saves);
   turns away a quarter of what gate 1 lets through (16 of 63 in the standard library).

Extending: a rule about a new API (``joblib``, ``torch.utils.data.DataLoader``,
``celery``) adds its module or name to ``TRIGGER_PREFIXES`` and the word of its import
line to ``PREFILTER_WORDS``; a new kind of object goes into names.KIND_BY_CONSTRUCTOR
and is a trigger from then on. Nothing else here changes. ``tests/test_triggers.py``
proves that every fixture and example gives the same findings with and without gate 2.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from mplint.names import _TWINS, KIND_BY_CONSTRUCTOR, canonical
from mplint.semantic.kinds import Kind

# Resolved (canonical) names under which a use makes the file worth analysing.
TRIGGER_PREFIXES: tuple[str, ...] = (
    "multiprocessing",  # also multiprocess, billiard, torch.multiprocessing (names.canonical)
    "concurrent.futures",
    "os.fork",
    "os.forkpty",
    "pty.fork",
    # Libraries that start worker processes (MP101: checks/third_party.py).
    "joblib",
    "torch.utils.data.DataLoader",
    "torch.utils.data.dataloader.DataLoader",
)

# Names under TRIGGER_PREFIXES that make nothing a rule can follow: a number, an
# exception class, a constant. Only what no check or the analysis reads belongs here.
INERT: frozenset[str] = frozenset(
    {
        "multiprocessing.cpu_count",
        "multiprocessing.TimeoutError",
        "multiprocessing.ProcessError",
        "multiprocessing.BufferTooShort",
        "multiprocessing.AuthenticationError",
        "concurrent.futures.CancelledError",
        "concurrent.futures.TimeoutError",
        "concurrent.futures.BrokenExecutor",
        "concurrent.futures.InvalidStateError",
        "concurrent.futures.process.BrokenProcessPool",
        "concurrent.futures.thread.BrokenThreadPool",
        "concurrent.futures.Future",  # a bare future; those of an executor come from submit()
        "concurrent.futures.FIRST_COMPLETED",
        "concurrent.futures.FIRST_EXCEPTION",
        "concurrent.futures.ALL_COMPLETED",
    }
)

# Gate 1: words whose line may import a process module; "fork" for fork() calls.
PREFILTER_WORDS: tuple[str, ...] = ("multiprocess", "concurrent", "billiard", "joblib")
_WORDS = "|".join(PREFILTER_WORDS)
_PROCESS_LINE = re.compile(
    rf"[ \t]*(?:import[ \t][^\n]*\b(?:{_WORDS})"
    rf"|from[ \t]+(?:{_WORDS})"
    r"|from[ \t]+torch[\w.]*[ \t]+import[^\n]*\bmultiprocessing"
    r"|from[ \t]+torch\.multiprocessing\b"
    r"|from[ \t]+torch\.utils\.data[\w.]*[ \t]+import[^\n]*\bDataLoader)"
    r"|[^\n]*?\bfork[ \t]*\("
)
_MENTIONS = (*PREFILTER_WORDS, "fork", "DataLoader")


def as_lf_lines(text: str) -> str:
    """The gates read lines as ending in ``\n``; a file may end them in ``\r`` alone
    (Python reads those too). Only a text with such a ``\r`` pays for the copy."""
    if "\r" not in text or text.count("\r") == text.count("\r\n"):
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def mentions_process_api(text: str) -> bool:
    """Gate 1: does a line of the text import a process module or call fork()?"""
    text = as_lf_lines(text)
    for word in _MENTIONS:
        position = text.find(word)
        while position >= 0:
            start = text.rfind("\n", 0, position) + 1
            end = text.find("\n", position)
            if end < 0:
                end = len(text)
            if _PROCESS_LINE.match(text, start, end):
                return True
            position = text.find(word, end)
    return False


# Objects the analysis follows that matter only beside a process API: a thread, a
# threading lock, semaphore, event or barrier, a ``queue.Queue``, an open file. The rules
# flag them when a child is given one or a fork inherits it; a file that makes them and
# uses no process API gives no finding (``tests/test_triggers.py`` holds a file of
# thread mistakes that proves it), so they alone do not earn a parse. A
# ``threading.Condition`` (MP407) and a ``ThreadPoolExecutor`` (MP301, MP306) do.
COMPANION_KINDS: frozenset[Kind] = frozenset(
    {
        Kind.THREAD,
        Kind.THREAD_LOCK,
        Kind.THREAD_SEMAPHORE,
        Kind.THREAD_EVENT,
        Kind.THREAD_BARRIER,
        Kind.THREAD_QUEUE,
        Kind.OPEN_FILE,
    }
)

# Every other constructor the analysis gives a kind is a trigger of its own.
TRIGGER_CONSTRUCTORS: frozenset[str] = frozenset(
    name for name, kind in KIND_BY_CONSTRUCTOR.items() if kind not in COMPANION_KINDS
)


def is_trigger(qualname: str) -> bool:
    name = canonical(qualname)
    if name in INERT:
        return False
    if name in TRIGGER_CONSTRUCTORS:
        return True
    return any(name == p or name.startswith(p + ".") for p in TRIGGER_PREFIXES)


# The triggers as they may be spelled in an import: ``import torch`` leads to
# ``torch.multiprocessing``, which names.canonical folds onto ``multiprocessing``.
_SPELLED = (*TRIGGER_PREFIXES, *TRIGGER_CONSTRUCTORS, *(twin for twin, _ in _TWINS))


def _may_lead_to_trigger(qualname: str) -> bool:
    """Could a use of this name, or of an attribute of it, be a trigger?"""
    if is_trigger(qualname):
        return True
    return any(p.startswith(qualname + ".") for p in _SPELLED) or canonical(qualname) != qualname


# Gate 2 reads import statements and name uses from the text, not from a parse: a
# handful of regular expressions cost about 1% of ``ast.parse`` (an ``ast`` pass over
# these files costs a quarter of what it would save). Wherever the text is unclear it
# answers "uses", never "does not".
# What an import statement that may bind a trigger names (os and pty for fork).
_MODULE_WORDS = re.compile(
    rf"{_WORDS}|torch|\b(?:{'|'.join(sorted({n.partition('.')[0] for n in _SPELLED}))})\b"
)
_STATEMENT = re.compile(r"^[ \t]*(?:from|import)\b", re.MULTILINE)
_IMPORT_LINE = re.compile(r"^[^\n]*\bimport\b[^\n]*", re.MULTILINE)
_FROM = re.compile(r"from\s+(\.*)([\w.]*)\s+import\s+(.*)", re.DOTALL)
_IMPORT = re.compile(r"import\s+(.*)", re.DOTALL)
_ALIAS = re.compile(r"([\w.]+|\*)(?:\s+as\s+(\w+))?")
_COMMENT = re.compile(r"#[^\n]*")
_UNSURE = object()
# Comments and string literals (any prefix, any quotes; escapes skipped), blanked out
# before gate 2 reads the text: a name in a docstring is not a use. Should a literal
# this cannot follow (a 3.12 f-string nesting its own quotes) put it out of step, the
# next quote puts it back in step; what stands between counts as code, so as uses.
_QUOTED = (
    r"'''(?:[^'\\]|\\.|'(?!''))*'''",
    r'"""(?:[^"\\]|\\.|"(?!""))*"""',
    r"'(?:[^'\\\n]|\\.)*'",
    r'"(?:[^"\\\n]|\\.)*"',
)
# Every branch starts with a plain character, so that the regular expression engine
# jumps from one candidate character to the next (3.5 times faster than starting with
# ``\b``); a prefix counts only where no letter or digit stands before it.
_LITERALS = re.compile(
    "|".join(
        (
            r"#[^\n]*",
            *_QUOTED,
            *(
                rf"{letter}(?<!\w{letter})[rRbBuUfF]?(?:{'|'.join(_QUOTED)})"
                for letter in "rRbBuUfF"
            ),
        )
    ),
    re.DOTALL,
)


def uses_process_api(text: str) -> bool:
    """Gate 2: does the file use a process API, as far as its text tells? Uses in
    comments and strings count too: only a file that surely uses none is turned away."""
    text = _LITERALS.sub(_blank, as_lf_lines(text))
    imports = _process_imports(text)
    if imports is _UNSURE:
        return True
    assert isinstance(imports, tuple)
    imported, spans = imports
    statements = _Spans(spans)
    for local, qualnames in imported.items():
        # The name first, then what may not stand before it: the engine jumps to it.
        name = re.escape(local)
        use = re.compile(rf"{name}(?<![\w.]{name})\b((?:\s*\.\s*\w+)*)")
        tails_seen: set[str] = set()  # ``os.path.join`` once, however often it is used
        for match in use.finditer(text):
            tail = match.group(1)
            if tail in tails_seen or statements.hold(match.start()):
                continue
            tails_seen.add(tail)
            tail = _SPACES.sub("", tail)
            if any(is_trigger(qualname + tail) for qualname in qualnames):
                return True
    return False


_SPACES = re.compile(r"\s+")


class _Spans:
    """Where the import statements stand, asked many times whether they hold a position.
    Spans may overlap (an import whose parenthesis never closes runs on)."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        self.starts = [start for start, _ in spans]
        self.reach: list[int] = []  # the furthest end of the spans up to each
        furthest = -1
        for _, end in spans:
            furthest = max(furthest, end)
            self.reach.append(furthest)

    def hold(self, position: int) -> bool:
        index = bisect_right(self.starts, position) - 1
        return index >= 0 and position < self.reach[index]


def _blank(literal: re.Match[str]) -> str:
    """A literal or comment as spaces, keeping its line breaks (so lines stay lines)."""
    return "\n" * literal.group().count("\n") or " "


def _process_imports(text: str) -> object:
    """{local name: qualified names} of the imports that may lead to a process API, and
    where those import statements stand; ``_UNSURE`` when an import is not plain."""
    imported: dict[str, set[str]] = {}
    spans: list[tuple[int, int]] = []
    for match in _STATEMENT.finditer(text):
        start, end = match.start(), _statement_end(text, match.end())
        statement = _COMMENT.sub("", text[start:end]).strip()
        if not _MODULE_WORDS.search(statement):
            continue
        statement = statement.replace("\\\n", " ")
        if ";" in statement:
            return _UNSURE
        spans.append((start, end))
        parsed = _FROM.fullmatch(statement)
        if parsed is not None:
            dots, module, names = parsed.groups()
            if dots:
                continue  # relative: the analysis does not follow these either
            aliases = _aliases(names.strip().removeprefix("(").removesuffix(")"))
            if aliases is None:
                return _UNSURE
            for name, alias in aliases:
                if name == "*":
                    if _may_lead_to_trigger(module):
                        return _UNSURE
                    continue
                if _may_lead_to_trigger(f"{module}.{name}"):
                    imported.setdefault(alias or name, set()).add(f"{module}.{name}")
            continue
        parsed = _IMPORT.fullmatch(statement)
        if parsed is None:
            return _UNSURE
        aliases = _aliases(parsed.group(1))
        if aliases is None:
            return _UNSURE
        for name, alias in aliases:
            if _may_lead_to_trigger(name):
                local = alias or name.partition(".")[0]
                imported.setdefault(local, set()).add(name if alias else local)
    # A process module named on a line with "import" that is not one of those
    # statements (``if x: import multiprocessing``): unsure.
    statements = _Spans(spans)
    for line in _IMPORT_LINE.finditer(text):
        for match in _MODULE_WORDS.finditer(text, line.start(), line.end()):
            if not statements.hold(match.start()):
                return _UNSURE
    return imported, spans


def _statement_end(text: str, position: int) -> int:
    """Where the import statement that goes on at ``position`` ends: the end of its line,
    or of the line that closes its parenthesis or ends its backslash continuation."""
    depth = 0
    while True:
        end = text.find("\n", position)
        if end < 0:
            return len(text)
        line = _COMMENT.sub("", text[position:end])
        depth += line.count("(") - line.count(")")
        if depth <= 0 and not line.endswith("\\"):
            return end
        position = end + 1


def _aliases(names: str) -> list[tuple[str, str | None]] | None:
    """``a.b as c, d`` -> [("a.b", "c"), ("d", None)]; None when that is not what it is."""
    found: list[tuple[str, str | None]] = []
    for part in names.split(","):
        part = part.strip()
        if not part:
            continue
        match = _ALIAS.fullmatch(part)
        if match is None:
            return None
        found.append((match.group(1), match.group(2)))
    return found
