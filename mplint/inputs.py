"""What libcst's parser cannot survive, refused before it sees the text.

libcst parses with native code that recurses once per level of nesting and keeps
about 2 KB for every token. Deep nesting overflows the C stack (SIGSEGV: the whole
process dies, whichever front end runs it) and a large or deep input takes gigabytes.
``refusal(text)`` reads the text once, with a regular expression and no parse, and says
why libcst must not see it, or None. Every front end goes through it: the command line
and its workers and the flake8 plugin (``engine.lint_source``), and the language server
(the same, for each version of a document; its incremental parser re-parses pieces of a
text that passed).

Measured here (libcst 1.9.0, CPython 3.11, Linux, 8 MB stack), parsing
``import multiprocessing`` and one statement nested N deep:

==========================  =================  ================================
nesting kind                CPython accepts    libcst at depth N
==========================  =================  ================================
``((((1))))``               N <= 200           1,200: 0.1 s; 1,500: SIGSEGV
``[[[1]]]``, ``{1: {1:``    N <= 200           1,000: 2.8 s, 0.8 GB; 1,500: SIGSEGV
``f(f(f(1)))``              N <= 200           200: 0.2 s, 0.1 GB; 1,000: 7.7 s, 2.2 GB;
                                               1,500: SIGSEGV
``a.b.b.b``                 N <= 2,991         5,000: 6.5 s; 6,000: SIGSEGV
``a[1][1]``, ``f()()()``    N <= 2,991         1,000: 0.8 s; 4,000: 35 s
``1+1+1``, ``1<<1<<1``      N <= 2,991         1,000: 1.0 s; 3,000: 18 s; 5,000: 46 s
``a and a and a``           any N              3,000: 0.1 s; 10,000: SIGSEGV
``---1``, ``not not 1``     N <= 2,991         1,000: 0.3 s, 80 MB; 3,000: 3 s, 0.5 GB
``lambda: lambda: 1``       N <= 2,983         1,000: 0.9 s, 0.2 GB; 3,000: 10 s, 1.7 GB
``2**2**2``                 N <= 2,983         1,000: 0.5 s, 0.1 GB; 5,000: 15 s, 2.9 GB
``1 if a else 1 if a...``   N <= 2,991         1,000: 1.4 s, 0.2 GB; 3,000: 11 s, 1.6 GB
``elif`` chains             N <= 2,991         6,000: 0.4 s; 10,000: SIGSEGV
==========================  =================  ================================

CPython's limit of 2,991 comes from the recursion limit (1,000 by default; a host
program may raise it), so it is no guard. Hence two limits of our own:

- ``MAX_BRACKETS``: brackets nested deeper than 200, Python's own fixed limit
  (``too many nested parentheses``), reported as the syntax error it is.
- ``MAX_DEPTH``: along any path into an expression, the tokens between separators
  (``,`` ``;`` and the end of a statement), summed over the brackets that enclose
  them, plus the ``elif`` chains and blocks around it. This bounds the depth of the
  tree libcst builds (every level costs at least one token), and counts flat chains
  too (``a and a``, ``a < a``), which libcst also builds or parses recursively. At
  2,000, the worst kinds above stay under 1.2 s and 250 MB per expression, at a
  third of the depth of the first crash or less; ordinary code stays far below it (no
  statement of the standard library goes past 100: a long sum of ``__all__`` lists).

And one budget, for memory: ``MAX_WEIGHT``. libcst's memory grows with every token,
times the brackets around it, and a little with the depth of its chain: its weight is
``1 + brackets + depth // 16``. Peak memory of ``mplint check`` per unit of weight:
1.0 KB for a ``[1, 1, ...]`` table (200,000 items: 800 k units, 0.8 GB, 26 s), 1.4 KB
for 1,000 items in 100 nested calls (0.3 GB), 1.7 KB for ordinary code (typing.py ten
times over, 1.2 MB: 181 k units, 0.3 GB). 600,000 units stay near 1 GB: about 4 MB of
ordinary code, five times the largest file of the standard library. 20 statements of a
1,000-deep ``---1`` took 1.1 GB (the parser keeps what it builds for each), hence the
depth term.

The scan costs about 5% of a libcst parse (typing.py: 27 ms against 486 ms; half an
``ast.parse``), and runs only on files that passed the prefilter. No file of the
standard library is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from mplint.diagnostic import Diagnostic, Fix

MAX_BRACKETS = 200
MAX_DEPTH = 2_000
MAX_WEIGHT = 600_000

TOO_MANY_BRACKETS = "cannot lint: syntax error: too many nested parentheses"
TOO_DEEP = (
    "skipped: line {line} nests or chains expressions too deeply to parse safely"
    f" (over {MAX_DEPTH:,} levels)"
)
TOO_LARGE = (
    "skipped: the file is too large to parse safely (libcst would need over 1 GB of memory:"
    " it is long, or holds much inside deeply nested brackets)"
)

# One token per match, with the white space, comments and line continuations before it.
# String literals are one token each (their line breaks end no statement); an operator
# counts one token per character, so that ``---1`` is as deep as it is long.
_TOKEN = re.compile(
    r"(?:[ \t\f]+|\\(?:\r\n|\r|\n)|\#[^\r\n]*)*"
    r"(?:(?P<newline>\r\n|\r|\n)"
    r"|(?P<open>[(\[{])"
    r"|(?P<close>[)\]}])"
    r"|(?P<separator>[,;])"
    r"|(?P<string>(?:\b[rRbBuUfF]{1,2})?(?:"
    r"'''(?:[^'\\]|\\.|'(?!''))*(?:'''|\Z)"
    r'|"""(?:[^"\\]|\\.|"(?!""))*(?:"""|\Z)'
    r"|'(?:[^'\\\r\n]|\\.)*'?"
    r'|"(?:[^"\\\r\n]|\\.)*"?'
    r"))"
    r"|(?P<word>\w+)"
    r"|(?P<other>[^\w\r\n])"
    r"|(?P<end>\Z))",
    re.DOTALL,
)


# The groups of ``_TOKEN`` by number: ``lastindex`` is cheaper than ``lastgroup``.
_NEWLINE, _OPEN, _CLOSE, _SEPARATOR, _STRING, _WORD, _OTHER, _END = (
    _TOKEN.groupindex[name]
    for name in ("newline", "open", "close", "separator", "string", "word", "other", "end")
)


@dataclass(frozen=True)
class Refusal:
    """Why a text is not given to libcst, and where (1-based line, 0-based column)."""

    message: str
    line: int = 1
    column: int = 0


def refusal(text: str) -> Refusal | None:
    """None when libcst may parse ``text``; else why not. Reads the text once."""
    weight = 0
    outer: list[int] = []  # for each open bracket, the depth outside it
    brackets = 0  # len(outer)
    depth = 0  # of the current token: its segment, those of the brackets around it, blocks
    blocks: list[tuple[int, int]] = []  # (indentation, elif chain length) of open blocks
    block_depth = 0
    line, line_start = 1, 0
    at_statement_start = True
    for match in _TOKEN.finditer(text):
        kind = match.lastindex
        if kind == _NEWLINE:
            line += 1
            line_start = match.end()
            if not brackets:
                at_statement_start = True
                depth = block_depth
            continue
        if kind == _END or kind is None:
            break
        if at_statement_start and not brackets:
            at_statement_start = False
            word = match.group(kind) if kind == _WORD else ""
            column = match.start(kind) - line_start
            depth = block_depth = _enter_statement(blocks, column, word)
        weight += 1 + brackets + depth // 16
        if weight > MAX_WEIGHT:
            return Refusal(TOO_LARGE)
        if kind == _WORD or kind == _OTHER:  # the most frequent: a name, an operator
            depth += 1
        elif kind == _OPEN:
            if brackets >= MAX_BRACKETS:
                return Refusal(TOO_MANY_BRACKETS, line, match.start(kind) - line_start)
            depth += 1
            outer.append(depth)
            brackets += 1
        elif kind == _CLOSE:
            if brackets:
                depth = outer.pop()
                brackets -= 1
        elif kind == _SEPARATOR:
            depth = outer[-1] if brackets else block_depth
        if depth > MAX_DEPTH:
            column = match.start(kind) - line_start
            return Refusal(TOO_DEEP.format(line=line), line, column)
    return None


def _enter_statement(blocks: list[tuple[int, int]], indentation: int, word: str) -> int:
    """A statement starts at ``indentation`` with ``word``: close the blocks it ends,
    count ``elif`` chains (libcst nests each ``elif`` in the one before), and return the
    depth of the blocks and chains around the statement."""
    while blocks and blocks[-1][0] > indentation:
        blocks.pop()
    chain = 0
    if blocks and blocks[-1][0] == indentation:
        chain = blocks.pop()[1]
    if word == "elif":
        chain += 1
    elif word != "else":
        chain = 0
    blocks.append((indentation, chain))
    return sum(1 + chain for _, chain in blocks)


# A form feed in a line's indentation: Python's tokenizer starts counting the indentation
# again after it; libcst's counts it as a column (and then rejects valid code, or drops
# the form feed from its positions). So it goes, with the blanks before it, and the
# positions found are moved back.
_LINES = re.compile(r"(\r\n|\r|\n)")
_FORM_FEED_INDENT = re.compile(r"[ \t\f]*\f")


def without_form_feeds(text: str) -> tuple[str, dict[int, int]]:
    """``text`` without the form feeds in its lines' indentation, as libcst should read
    it, and for each line that lost some, how many characters it lost."""
    if "\f" not in text:
        return text, {}
    pieces = _LINES.split(text)  # lines at even indexes, their line breaks between
    shifts: dict[int, int] = {}
    for index in range(0, len(pieces), 2):
        found = _FORM_FEED_INDENT.match(pieces[index])
        if found is not None:
            pieces[index] = pieces[index][found.end() :]
            shifts[index // 2 + 1] = found.end()
    return "".join(pieces), shifts


def shift_columns(diagnostics: list[Diagnostic], shifts: dict[int, int]) -> list[Diagnostic]:
    """Diagnostics found in the text ``without_form_feeds`` gave, placed in the original
    text: the same lines, columns moved right on the lines that lost a form feed. A fix
    that would rewrite such a line is dropped (libcst would write it without its form
    feed); the others edit only lines that are the same in both texts."""

    def placed(line: int, column: int) -> int:
        return column + shifts.get(line, 0)

    def kept(fix: Fix | None) -> Fix | None:
        if fix is None:
            return None
        for edit in fix.edits:
            if any(edit.start_line <= line <= edit.end_line for line in shifts):
                return None
        return fix

    return [
        replace(
            diagnostic,
            column=placed(diagnostic.line, diagnostic.column),
            end_column=placed(diagnostic.end_line, diagnostic.end_column),
            fix=kept(diagnostic.fix),
        )
        for diagnostic in diagnostics
    ]
