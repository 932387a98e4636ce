"""Fire on harm: each finding of MP201, MP202, MP402, MP404 and MP901 says the harm that
program really has, and the harmless shapes next to them stay silent."""

from __future__ import annotations

import textwrap

import pytest

from mplint.config import Settings
from mplint.engine import lint_source


def messages(source: str, code: str, lang: str = "en") -> list[str]:
    settings = Settings(select=(code,), lang=lang)
    result = lint_source(textwrap.dedent(source).encode(), "program.py", settings)
    assert result.error is None and not result.internal_errors
    return [d.message for d in result.diagnostics if d.code == code]


LOCK_NEVER_JOINED = """
    import multiprocessing

    def log(lock, n):
        with lock:
            print(n)

    if __name__ == "__main__":
        lock = multiprocessing.Lock()
        for n in range(3):
            multiprocessing.Process(target=log, args=(lock, n)).start()
"""


def test_lock_given_and_never_joined_names_the_crash() -> None:
    (message,) = messages(LOCK_NEVER_JOINED, "MP201")
    assert "FileNotFoundError: [Errno 2] No such file or directory" in message
    assert "spawn" in message and "zombie" not in message


def test_the_crash_in_chinese() -> None:
    (message,) = messages(LOCK_NEVER_JOINED, "MP201", lang="zh-CN")
    assert "FileNotFoundError" in message and "信号量" in message and "僵尸" not in message


def test_no_crash_when_fork_is_pinned() -> None:
    pinned = LOCK_NEVER_JOINED.replace(
        "lock = multiprocessing.Lock()",
        'multiprocessing.set_start_method("fork")\n        lock = multiprocessing.Lock()',
    )
    assert messages(pinned, "MP201") == []


def test_no_crash_when_the_parent_sleeps_before_its_end() -> None:
    waiting = textwrap.dedent(LOCK_NEVER_JOINED) + "    time.sleep(3)\n"
    assert messages("import time\n" + waiting, "MP201") == []


def test_manager_proxy_fails_under_every_start_method() -> None:
    source = """
        import multiprocessing

        def fill(d, n):
            d[n] = n

        if __name__ == "__main__":
            multiprocessing.set_start_method("fork")
            manager = multiprocessing.Manager()
            d = manager.dict()
            for n in range(3):
                multiprocessing.Process(target=fill, args=(d, n)).start()
    """
    (message,) = messages(source, "MP201")
    assert "manager proxy `d`" in message and "every start method" in message


def test_reading_a_value_before_join() -> None:
    source = """
        import multiprocessing

        def add(total):
            total.value += 1

        if __name__ == "__main__":
            multiprocessing.set_start_method("fork")
            total = multiprocessing.Value("i", 0)
            p = multiprocessing.Process(target=add, args=(total,))
            p.start()
            print(total.value)
    """
    (message,) = messages(source, "MP201")
    assert "reads `total`" in message and "before the child has finished" in message


def test_server_loop_is_the_zombie_case_but_not_under_forkserver() -> None:
    source = """
        import multiprocessing

        def handle(n):
            print(n)

        if __name__ == "__main__":
            n = 0
            while True:
                n += 1
                multiprocessing.Process(target=handle, args=(n,)).start()
    """
    (message,) = messages(source, "MP201")
    assert "zombie until the next `start()`" in message
    forkserver = source.replace(
        "n = 0", 'multiprocessing.set_start_method("forkserver")\n            n = 0'
    )
    assert messages(forkserver, "MP201") == []


def test_started_last_with_plain_arguments_is_silent() -> None:
    source = """
        import multiprocessing

        def work(n):
            print(n)

        if __name__ == "__main__":
            for n in range(3):
                multiprocessing.Process(target=work, args=(n,)).start()
    """
    assert messages(source, "MP201") == []


def test_terminate_as_last_use_is_silent_but_not_when_the_lock_is_used_after() -> None:
    source = """
        import multiprocessing, time

        def hold(lock):
            with lock:
                time.sleep(10)

        if __name__ == "__main__":
            lock = multiprocessing.Lock()
            p = multiprocessing.Process(target=hold, args=(lock,))
            p.start()
            time.sleep(0.5)
            p.terminate()
            p.join()
    """
    assert messages(source, "MP202") == []
    used_after = textwrap.dedent(source) + "    print(lock.acquire(timeout=2))\n"
    (message,) = messages(used_after, "MP202")
    assert "never released" in message


def test_terminate_without_join_says_the_process_may_still_run() -> None:
    source = """
        import multiprocessing, time

        def spin():
            time.sleep(10)

        if __name__ == "__main__":
            p = multiprocessing.Process(target=spin)
            p.start()
            p.terminate()
            print(p.exitcode)
    """
    (message,) = messages(source, "MP202")
    assert "may still be running" in message and "zombie" not in message


@pytest.mark.parametrize(
    ("payload", "fires"),
    [
        ("n * n", False),
        ("(n, len(str(n)))", False),
        ("list(range(n))", True),
        ("[0] * n", True),
        ('"-" * n', True),
    ],
)
def test_join_before_drain_only_for_what_can_fill_the_pipe(payload: str, fires: bool) -> None:
    source = f"""
        import multiprocessing

        def work(n, q):
            q.put({payload})

        if __name__ == "__main__":
            q = multiprocessing.Queue()
            p = multiprocessing.Process(target=work, args=(100000, q))
            p.start()
            p.join()
            print(q.get())
    """
    assert bool(messages(source, "MP402")) is fires


def test_put_loop_of_unknown_length_fills_the_pipe() -> None:
    source = """
        import multiprocessing

        def work(items, q):
            for item in items:
                q.put(item)

        if __name__ == "__main__":
            q = multiprocessing.Queue()
            p = multiprocessing.Process(target=work, args=(open("data.txt").readlines(), q))
            p.start()
            p.join()
            print(q.get())
    """
    assert len(messages(source, "MP402")) == 1


def test_empty_check_by_the_only_consumer_is_silent_with_two_it_blocks() -> None:
    source = """
        import multiprocessing

        def consume(q):
            while True:
                if not q.empty():
                    print(q.get())

        if __name__ == "__main__":
            q = multiprocessing.Queue()
            c = multiprocessing.Process(target=consume, args=(q,))
            c.start()
            c.join()
    """
    assert messages(source, "MP404") == []
    two = textwrap.dedent(source).replace(
        "    c = multiprocessing.Process(target=consume, args=(q,))\n    c.start()\n    c.join()\n",
        "    cs = [multiprocessing.Process(target=consume, args=(q,)) for _ in range(2)]\n"
        "    for c in cs:\n        c.start()\n    for c in cs:\n        c.join()\n",
    )
    (message,) = messages(two, "MP404")
    assert "another process can take the item" in message


def test_join_message_is_true_about_a_dead_child() -> None:
    source = """
        import multiprocessing

        def work(tasks):
            print(tasks.get())

        if __name__ == "__main__":
            tasks = multiprocessing.Queue()
            p = multiprocessing.Process(target=work, args=(tasks,))
            p.start()
            tasks.put(1)
            p.join()
    """
    (message,) = messages(source, "MP901")
    assert "returns as soon as the child ends" in message and "dies" not in message
    # A child that never waits cannot hang the join: nothing to say.
    assert messages(source.replace("print(tasks.get())", "print(tasks)"), "MP901") == []
