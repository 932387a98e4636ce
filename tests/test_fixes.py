"""Autofixes: expected output per fix, properties over every bad fixture, the examples'
broken programs fixed and run, the command line (--fix, --diff, --unsafe-fixes), and the
language server's fix-all."""

from __future__ import annotations

import ast
import io
import subprocess
import sys
import tokenize
from collections import Counter
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, fixture_codes

from mplint.cli import main
from mplint.config import Settings
from mplint.diagnostic import Applicability, Diagnostic, Fix, TextEdit
from mplint.engine import lint_source
from mplint.example_runner import find_examples, judge_fixed, load_declaration, run_program
from mplint.fixes import apply_fixes, fix_source

FIX_FIXTURES = FIXTURES / "fixes"
PAIRS = sorted(p for p in FIX_FIXTURES.glob("MP*.py") if not p.name.endswith(".expected.py"))


def _fixable(path: Path, settings: Settings) -> list[Diagnostic]:
    result = lint_source(path.read_bytes(), str(path), settings)
    assert result.error is None and not result.internal_errors
    return [d for d in result.diagnostics if d.fix is not None]


def comments(source: str) -> Counter[str]:
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return Counter(t.string for t in tokens if t.type == tokenize.COMMENT)


# -- one pair per fix ----------------------------------------------------------------------


@pytest.mark.parametrize("path", PAIRS, ids=lambda p: p.stem)
def test_fix_gives_the_expected_output(path: Path) -> None:
    code = path.name[:5]
    settings = Settings(select=(code,))
    source = path.read_text(encoding="utf-8")
    result = lint_source(source, str(path), settings)
    assert any(d.code == code and d.fix is not None for d in result.diagnostics), (
        f"{path.name}: no {code} fix offered"
    )
    fixed, applied = apply_fixes(source, result.diagnostics, True, settings=settings)
    expected = path.with_name(f"{path.stem}.expected.py").read_text(encoding="utf-8")
    assert fixed == expected
    assert applied and all(d.code == code for d in applied)
    assert not [d for d in lint_source(fixed, str(path), settings).diagnostics if d.code == code]


def test_every_fix_has_a_pair() -> None:
    """Each code that offers a fix on some bad fixture has an input/expected pair."""
    offered = {
        d.code
        for path in sorted(FIXTURES.glob("MP*/bad_*.py"))
        for d in _fixable(path, Settings(extend_select=tuple(fixture_codes(path))))
    }
    paired = {p.name[:5] for p in PAIRS}
    assert offered <= paired, f"write fixtures/fixes pairs for {sorted(offered - paired)}"


def test_unsafe_fixes_wait_for_the_flag() -> None:
    path = FIX_FIXTURES / "MP107_string.py"
    source = path.read_text(encoding="utf-8")
    settings = Settings(select=("MP107",))
    diagnostics = lint_source(source, str(path), settings).diagnostics
    assert diagnostics[0].fix is not None
    assert diagnostics[0].fix.applicability == Applicability.UNSAFE
    assert apply_fixes(source, diagnostics, False, settings=settings) == (source, [])


# -- every bad fixture that has a fix --------------------------------------------------------

FIXABLE_BAD = [
    p
    for p in sorted(FIXTURES.glob("MP*/bad_*.py"))
    if _fixable(p, Settings(extend_select=tuple(fixture_codes(p))))
]


@pytest.mark.parametrize("path", FIXABLE_BAD, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixing_a_bad_fixture(path: Path) -> None:
    settings = Settings(extend_select=tuple(fixture_codes(path)))
    source = path.read_text(encoding="utf-8")
    before = lint_source(source, str(path), settings).diagnostics
    fixed, applied = apply_fixes(source, before, True, settings=settings, path=str(path))
    assert applied
    ast.parse(fixed)
    after = lint_source(fixed, str(path), settings)
    assert after.error is None and not after.internal_errors
    count_before = Counter(d.code for d in before)
    count_after = Counter(d.code for d in after.diagnostics)
    fixable = Counter(d.code for d in before if d.fix is not None)
    new = {c: n for c, n in count_after.items() if n > count_before[c]}
    assert not new, f"new findings after fixing: {new}"
    left = {c: count_after[c] for c in fixable if count_after[c] > count_before[c] - fixable[c]}
    assert not left, f"findings left after their fix: {left}"
    again, applied_again = apply_fixes(fixed, after.diagnostics, True, settings=settings)
    assert again == fixed and not applied_again
    lost = comments(source) - comments(fixed)
    assert not lost, f"comments lost: {lost}"


# -- the examples: a safely fixed broken.py behaves like fixed.py ----------------------------


def _examples_with_fixes(applicability: Applicability) -> list[Path]:
    found = []
    for code, directory in sorted(find_examples(ROOT / "examples").items()):
        broken = directory / "broken.py"
        settings = Settings(extend_select=("MP", code))
        if any(d.fix.applicability == applicability for d in _fixable(broken, settings) if d.fix):
            found.append(directory)
    return found


SAFE_EXAMPLES = _examples_with_fixes(Applicability.SAFE)


@pytest.mark.parametrize("directory", SAFE_EXAMPLES, ids=lambda d: d.name[:5])
def test_safe_fix_of_a_broken_example_behaves_like_fixed(directory: Path, tmp_path: Path) -> None:
    declaration = load_declaration(directory)
    settings = Settings(extend_select=("MP", declaration.code))
    broken = declaration.broken_path
    source = broken.read_text(encoding="utf-8")
    diagnostics = lint_source(source, str(broken), settings).diagnostics
    fixed, applied = apply_fixes(source, diagnostics, False, settings=settings)
    assert any(d.code == declaration.code for d in applied)
    assert not [
        d
        for d in lint_source(fixed, str(broken), settings).diagnostics
        if d.code == declaration.code
    ]
    program = tmp_path / "broken_fixed.py"
    program.write_text(fixed, encoding="utf-8")
    result = run_program(program, declaration.start_method, declaration.timeout)
    report = judge_fixed(declaration.fixed, result, declaration.timeout)
    assert report.matches, f"{report.mismatch}\n{result.stderr[-2000:]}"


def test_safe_fixes_are_tested_on_the_examples() -> None:
    codes = {d.name[:5] for d in SAFE_EXAMPLES}
    assert {"MP104", "MP107", "MP302", "MP405", "MP408", "MP409"} <= codes


# -- apply_fixes itself ------------------------------------------------------------------------

BROKEN_SYNTAX = "import multiprocessing\n\nx = (1)\n"


def _diagnostic(fix: Fix, line: int = 3) -> Diagnostic:
    return Diagnostic("MP107", "args-not-a-tuple", "m", line, 4, line, 7, fix=fix)


def test_a_fix_that_breaks_the_syntax_is_not_applied() -> None:
    bad = Fix("break it", Applicability.SAFE, (TextEdit(3, 4, 3, 7, "(1,"),))
    good = Fix("tuple", Applicability.SAFE, (TextEdit(1, 0, 1, 0, "# top\n"),))
    fixed, applied = apply_fixes(BROKEN_SYNTAX, [_diagnostic(bad), _diagnostic(good, 1)], True)
    assert fixed == "# top\n" + BROKEN_SYNTAX
    assert [d.fix for d in applied] == [good]


def test_overlapping_fixes_wait_for_the_next_round() -> None:
    one = Fix("a", Applicability.SAFE, (TextEdit(3, 4, 3, 7, "(1,)"),))
    two = Fix("b", Applicability.SAFE, (TextEdit(3, 4, 3, 7, "[1]"),))
    fixed, applied = apply_fixes(BROKEN_SYNTAX, [_diagnostic(one), _diagnostic(two)], True)
    assert fixed == BROKEN_SYNTAX.replace("(1)", "(1,)")
    assert len(applied) == 1


def test_crlf_newlines_and_the_bom_are_kept() -> None:
    path = FIX_FIXTURES / "MP302_close.py"
    source = "\ufeff" + path.read_text(encoding="utf-8").replace("\n", "\r\n")
    settings = Settings(select=("MP302",))
    outcome = fix_source(source, lint_source(source, "x.py", settings).diagnostics, True)
    expected = path.with_name("MP302_close.expected.py").read_text(encoding="utf-8")
    assert outcome.source == "\ufeff" + expected.replace("\n", "\r\n")


# -- the command line ------------------------------------------------------------------------


def _copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    target.write_bytes((FIX_FIXTURES / name).read_bytes())
    return target


def test_check_fix_rewrites_safe_fixes_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    safe = _copy(tmp_path, "MP302_close.py")
    unsafe = _copy(tmp_path, "MP107_string.py")
    code = main(["check", "--no-cache", "--fix", str(safe), str(unsafe)])
    out, err = capsys.readouterr()
    assert safe.read_text(encoding="utf-8") == (FIX_FIXTURES / "MP302_close.expected.py").read_text(
        encoding="utf-8"
    )
    assert unsafe.read_bytes() == (FIX_FIXTURES / "MP107_string.py").read_bytes()
    assert code == 1 and "MP107" in out and "MP302" not in out
    assert "fixed 1 finding" in err
    assert out.rstrip().endswith("[*] 1 fixable with --fix --unsafe-fixes")
    assert " MP107 [*]" not in out
    assert main(["check", "--no-cache", "--fix", "--unsafe-fixes", str(unsafe)]) == 0
    assert unsafe.read_text(encoding="utf-8") == (
        FIX_FIXTURES / "MP107_string.expected.py"
    ).read_text(encoding="utf-8")


def test_check_marks_only_what_the_flags_would_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _copy(tmp_path, "MP107_string.py")
    main(["check", "--no-cache", str(path)])
    out, _ = capsys.readouterr()
    assert " MP107 [*]" not in out and out.rstrip().endswith(
        "[*] 1 fixable with --fix --unsafe-fixes"
    )
    main(["check", "--no-cache", "--unsafe-fixes", str(path)])
    out, _ = capsys.readouterr()
    assert " MP107 [*]" in out and out.rstrip().endswith("[*] 1 fixable with --fix")


def test_the_fix_count_speaks_the_language_of_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    safe = _copy(tmp_path, "MP302_close.py")
    unsafe = _copy(tmp_path, "MP107_string.py")
    main(["check", "--no-cache", "--lang", "zh-CN", str(safe), str(unsafe)])
    out, _ = capsys.readouterr()
    assert out.rstrip().endswith(
        "[*] 1 个问题可以用 `--fix` 修复（另有 1 个需要加上 `--unsafe-fixes`）"
    )


def test_check_diff_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _copy(tmp_path, "MP302_close.py")
    before = path.read_bytes()
    assert main(["check", "--no-cache", "--diff", str(path)]) == 1
    out, _ = capsys.readouterr()
    assert path.read_bytes() == before
    assert f"--- a/{path}" in out and "+    pool.close()" in out
    clean = _copy(tmp_path, "MP302_close.expected.py")
    assert main(["check", "--no-cache", "--diff", str(clean)]) == 0


def test_check_fix_keeps_encoding_newlines_and_mode(tmp_path: Path) -> None:
    path = tmp_path / "latin.py"
    text = (FIX_FIXTURES / "MP302_close.py").read_text(encoding="utf-8")
    text = "# -*- coding: latin-1 -*-\n# café\n" + text
    path.write_bytes(text.replace("\n", "\r\n").encode("latin-1"))
    path.chmod(0o754)
    assert main(["check", "--no-cache", "--fix", str(path)]) == 0
    data = path.read_bytes()
    assert b"# caf\xe9\r\n" in data and b"    pool.close()\r\n" in data
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert path.stat().st_mode & 0o777 == 0o754
    assert [p.name for p in tmp_path.iterdir()] == ["latin.py"]


def test_check_fix_from_stdin_prints_the_fixed_text() -> None:
    source = (FIX_FIXTURES / "MP302_close.py").read_bytes()
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "mplint",
            "check",
            "--no-cache",
            "--fix",
            "--stdin-filename",
            "s.py",
        ],
        input=source,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == (FIX_FIXTURES / "MP302_close.expected.py").read_bytes()


# -- the language server -----------------------------------------------------------------------


def test_language_server_fix_all_uses_apply_fixes() -> None:
    import inspect

    from mplint import lsp

    assert "apply_fixes" in inspect.getsource(lsp.MplintServer.fix_all_action)


def test_text_edit_between_turns_one_text_into_the_other() -> None:
    import random

    from mplint.fixes import _Offsets, text_edit_between

    pieces = ["a", "b", "\n", "\r\n", "\r", "é", "    "]
    chooser = random.Random(7)
    for _ in range(3000):
        before = "".join(chooser.choice(pieces) for _ in range(chooser.randint(0, 10)))
        after = "".join(chooser.choice(pieces) for _ in range(chooser.randint(0, 10)))
        edit = text_edit_between(before, after)
        if edit is None:
            assert before == after
            continue
        offsets = _Offsets(before)
        start = offsets(edit.start_line, edit.start_column)
        end = offsets(edit.end_line, edit.end_column)
        assert before[:start] + edit.new_text + before[end:] == after
        assert edit.start_column == 0


def test_check_diff_of_stdin() -> None:
    source = (FIX_FIXTURES / "MP107_string.py").read_bytes()
    command = [sys.executable, "-m", "mplint", "check", "--diff", "--stdin-filename", "s.py"]
    safe = subprocess.run(command, input=source, capture_output=True, timeout=60, check=False)
    assert safe.returncode == 0 and safe.stdout == b""
    unsafe = subprocess.run(
        [*command, "--unsafe-fixes"], input=source, capture_output=True, timeout=60, check=False
    )
    assert unsafe.returncode == 1
    assert b'+    first = Process(target=greet, args=("bob",))' in unsafe.stdout


@pytest.mark.parametrize(
    ("code", "source"),
    [
        (
            "MP101",
            "import multiprocessing as mp\npool = mp.Pool(2)\n\n\ndef f(x, p=pool):\n    return x\n",
        ),
        (
            "MP106",
            "from multiprocessing import Process\n\n\ndef f(a):\n    print(a)\n\n\n"
            "if __name__ == '__main__':\n    p = Process(target=f(1), args=(2,))\n",
        ),
        (
            "MP106",
            "from multiprocessing import Process\n\n\ndef f(*a):\n    print(a)\n\n\n"
            "if __name__ == '__main__':\n    p = Process(target=f(*[1]))\n",
        ),
    ],
    ids=["MP101-default-reads-moved-name", "MP106-args-given", "MP106-unpacking"],
)
def test_no_fix_where_the_rewrite_is_not_clear(code: str, source: str) -> None:
    found = [d for d in lint_source(source, "x.py", Settings(select=(code,))).diagnostics]
    assert [d.code for d in found] == [code]
    assert found[0].fix is None
