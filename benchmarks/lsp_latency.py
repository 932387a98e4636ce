"""How long a student waits for squiggles: ``didChange`` -> ``publishDiagnostics``.

Starts ``mplint lsp`` over stdio as an editor would (push diagnostics, full-text
sync), makes 50 edits one after the other on each file, and reports the time from
sending each ``didChange`` to receiving the diagnostics for that version (a debounce,
if the server had one, included), as p50 and p95. libcst's bare parse time of each file is printed
beside it for comparison. Files:

- a generated 300-line student script with findings;
- the standard library's typing.py (about 3,500 lines) with ``import multiprocessing``
  and an unguarded ``Process(...).start()`` added, so that the prefilter lets it through
  and the whole pipeline runs.

Run: ``python benchmarks/lsp_latency.py [--edits 50]``. Not a test: numbers depend on
the machine and on its load.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import typing
from pathlib import Path

import libcst as cst
from lsprotocol import types
from pygls.lsp.client import LanguageClient

STUDENT_HEADER = '''\
"""Homework 7: parallel word counts."""

import multiprocessing
import os
import time
from multiprocessing import Pool, Process, Queue

RESULTS = []
'''

STUDENT_BLOCK = '''

def count_words_{n}(path, queue):
    """Count the words of one file and put the total on the queue."""
    total = 0
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            total += len(line.split())
    queue.put((path, total))
    RESULTS.append(total)
    return total


def run_batch_{n}(paths):
    queue = Queue()
    workers = [Process(target=count_words_{n}, args=(p, queue)) for p in paths]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return [queue.get() for _ in workers]


def squares_{n}(numbers):
    with Pool(4) as pool:
        return pool.map(lambda x: x * x, numbers)

'''

STUDENT_FOOTER = """
single = Process(target=count_words_0, args=("notes.txt"))
single.start()
print(run_batch_0(["a.txt", "b.txt"]))
"""


def student_script(lines: int = 300) -> str:
    text = STUDENT_HEADER
    n = 0
    while text.count("\n") + STUDENT_FOOTER.count("\n") + STUDENT_BLOCK.count("\n") <= lines:
        text += STUDENT_BLOCK.format(n=n)
        n += 1
    text += STUDENT_FOOTER
    while text.count("\n") < lines:
        text += f"# note {text.count(chr(10))}\n"
    return text


def typing_script() -> str:
    source = Path(typing.__file__).read_text(encoding="utf-8")
    return (
        "import multiprocessing\n"
        + source
        + "\n\nmultiprocessing.Process(target=print, args=('hi',)).start()\n"
    )


def parse_time(text: str, repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        cst.parse_module(text)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


async def measure(text: str, edits: int) -> tuple[list[float], int]:
    client = LanguageClient("mplint-benchmark", "1")
    arrived: dict[int, float] = {}
    counts: dict[int, int] = {}
    event = asyncio.Event()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def published(params: types.PublishDiagnosticsParams) -> None:
        if params.version is not None:
            arrived[params.version] = time.perf_counter()
            counts[params.version] = len(params.diagnostics)
            event.set()

    @client.feature(types.WINDOW_LOG_MESSAGE)
    def logged(params: types.LogMessageParams) -> None:
        pass

    await client.start_io(sys.executable, "-m", "mplint", "lsp")
    await client.initialize_async(
        types.InitializeParams(capabilities=types.ClientCapabilities(), process_id=None)
    )
    client.initialized(types.InitializedParams())
    with tempfile.TemporaryDirectory() as folder:
        uri = (Path(folder) / "student.py").as_uri()
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=text
                )
            )
        )
        await wait_for(arrived, 1, event)
        latencies = []
        for version in range(2, edits + 2):
            edited = text + f"# edit {version}\n"
            started = time.perf_counter()
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[types.TextDocumentContentChangeWholeDocument(text=edited)],
                )
            )
            await wait_for(arrived, version, event)
            latencies.append(arrived[version] - started)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return latencies, counts.get(edits + 1, 0)


async def wait_for(arrived: dict[int, float], version: int, event: asyncio.Event) -> None:
    while version not in arrived:
        event.clear()
        await asyncio.wait_for(event.wait(), 60)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=50)
    args = parser.parse_args()
    files = {
        "student script (generated)": student_script(300),
        "typing.py + unguarded start": typing_script(),
    }
    print(
        "didChange -> publishDiagnostics (any debounce included), "
        f"{args.edits} edits each, Python {sys.version.split()[0]}"
    )
    print(f"{'file':<30} {'lines':>6} {'found':>6} {'p50 ms':>8} {'p95 ms':>8} {'parse ms':>9}")
    for name, text in files.items():
        latencies, found = asyncio.run(measure(text, args.edits))
        parse = parse_time(text)
        print(
            f"{name:<30} {text.count(chr(10)):>6} {found:>6} "
            f"{percentile(latencies, 50) * 1000:>8.1f} {percentile(latencies, 95) * 1000:>8.1f} "
            f"{parse * 1000:>9.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
