"""Would two cores help? The training in a forked process beside the other analyses.

    python benchmarks/fork_training.py --size 1M --cache /tmp/bench --rounds 3 --json F
    python benchmarks/fork_training.py --size 2k --cache /tmp/bench --rounds 1  # smoke run

The weekly command runs on one core after its load: its analyses take turns at the
interpreter, and threads gave nothing (``benchmarks/README.md``). A forked process has
an interpreter of its own. Here each process loads the four files as the command does,
judges the promises and the plans' instalments (the training reads both) and finds
the book's handoff age (the command does all three before the training, and the book
keeps what they worked out), and then times one section: the training (the 26 weekly
snapshots and the fit) and analyses that do not need the model (this week's balances
and the best call times).

- ``in turn``: the section as the command runs it, one after the other;
- ``forked``: the training in a child made by ``os.fork`` (it shares the loaded tables
  and the book, copy on write) while the parent runs the other analyses, then the
  child's model back through a pipe.

Each process reports the section's seconds, the peak of the memory of its processes
added up (proportional set size, shared pages counted once, sampled every 0.1 s and,
forked, once more by the child when its training is done), and a digest of the fitted
model: both ways must fit the same model, byte for byte. Each round also times a numpy
sort alone and two of them at once in two processes: how much the machine's two cores
give two processes that share nothing.

Linux only (``os.fork`` and ``/proc``). This is a measurement, not a part of arcalls:
it reads the command's private stages, as the profiles in ``benchmarks/README.md`` do.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

from run import (
    _last_json,
    _run_child,
    history,
    load_folder,
    parse_rounds,
    print_and_save,
    rounds_parser,
)

#: The two ways of running the section, in the order of the odd rounds (the even rounds
#: run them the other way round).
MODES = ("in turn", "forked")
#: The numpy sort of each core's check: this many doubles, sorted this many times.
SORT_SIZE, SORT_TIMES = 2_000_000, 40


def _pss(pid: int) -> int:
    """Proportional set size of a process in bytes (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _summed_pss(pids) -> int:
    """The processes' proportional set sizes added up (shared pages counted once)."""
    return sum(_pss(pid) for pid in pids)


class _Sampler:
    """The peak of the summed PSS of a set of processes, sampled on a thread."""

    def __init__(self):
        self.pids, self.peak = [os.getpid()], 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, _summed_pss(list(self.pids)))
            self._stop.wait(0.1)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def _digest(model) -> str:
    """The fitted pipeline's and calibration's arrays, hashed."""
    logit, scale = model.pipeline_["logit"], model.pipeline_["scale"]
    h = hashlib.sha256()
    for array in (logit.coef_, logit.intercept_, scale.mean_, scale.scale_):
        h.update(array.tobytes())
    h.update(pickle.dumps(model.calibration_))
    return h.hexdigest()[:16]


def worker(folder: Path, mode: str) -> dict:
    """Load ``folder``, then time the section one way (run in a process of its own)."""
    from arcalls import _memory, calllist, plans, promises
    from arcalls._calls import best_call_times
    from arcalls.book import book_of
    from arcalls.cli._cmd_call_list import _recommended_handoff, _without_unread_call_columns

    _memory.use_system_allocator()
    tables, as_of = load_folder(folder)
    tables = _without_unread_call_columns(tables)
    invoices, payments, calls, customers = tables
    book = book_of(*tables)
    promises._checked_judgement(calls, payments, invoices, as_of=as_of, book=book)
    plans._judged_instalments(
        calls,
        payments,
        invoices,
        as_of=as_of,
        grace_days=plans.DEFAULT_GRACE_DAYS,
        tolerance=0.0,
        book=book,
    )
    _recommended_handoff(tables, as_of, book)
    _memory.release_freed_memory()

    def train():
        return calllist._model_and_snapshot(
            invoices, payments, calls, customers, as_of=as_of, model=None, book=book
        )[0]

    def others():
        calllist._account_balances(invoices, payments, as_of=as_of, book=book)
        best_call_times(calllist._known_calls(calls, as_of=as_of), customers)

    sampler = _Sampler()
    start = time.perf_counter()
    if mode == "in turn":
        model = train()
        _memory.release_freed_memory()
        others()
        others_done, child_sample = None, 0
    else:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: train, send the model, and leave without clean-up
            os.close(read)
            code = 1
            try:
                trained = train()
                # Both processes, sampled while the child still holds what it trained on:
                # a section shorter than the sampler's 0.1 s would otherwise go unseen.
                both = _summed_pss([os.getppid(), os.getpid()])
                with os.fdopen(write, "wb") as f:
                    f.write(pickle.dumps((trained, both)))
                code = 0
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(code)
        os.close(write)
        sampler.pids.append(pid)
        others()
        others_done = time.perf_counter() - start
        with os.fdopen(read, "rb") as f:
            sent = f.read()
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError("the forked training failed (its traceback is above)")
        model, child_sample = pickle.loads(sent)
    seconds = time.perf_counter() - start
    # The child's sample is counted once the sampler's thread has stopped writing.
    peak = max(sampler.stop(), child_sample)
    return {
        "mode": mode,
        "seconds": seconds,
        "others_done": others_done,
        "peak_pss_mib": peak / 2**20,
        "model": _digest(model),
    }


def sort_worker() -> dict:
    import numpy as np

    x = np.random.default_rng(0).random(SORT_SIZE)
    start = time.perf_counter()
    for _ in range(SORT_TIMES):
        np.sort(x)
    return {"seconds": time.perf_counter() - start}


def _command(*args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--worker", *args]


def sorts() -> dict[str, float]:
    """A sort alone, then two at once (the slower of the two)."""
    alone = _last_json(_run_child(_command("sort"))[2])["seconds"]
    both = [subprocess.Popen(_command("sort"), stdout=subprocess.PIPE, text=True) for _ in "ab"]
    outs = [p.communicate()[0] for p in both]
    if any(p.returncode for p in both):
        raise RuntimeError("a sort worker failed")
    return {"sort alone": alone, "two sorts at once": max(_last_json(o)["seconds"] for o in outs)}


def measure(folder: Path, rounds: int) -> list[dict]:
    """Each round: both modes (alternating which goes first), then the sorts."""
    results = []
    for k in range(rounds):
        print(f"round {k + 1} of {rounds} ...", flush=True)
        one = {}
        for mode in MODES if k % 2 == 0 else MODES[::-1]:
            one[mode] = _last_json(_run_child(_command("section", str(folder), mode))[2])
        if one["in turn"]["model"] != one["forked"]["model"]:
            raise RuntimeError("the forked training fitted another model than the one in turn")
        one.update(sorts())
        results.append(one)
    return results


def table(results: list[dict]) -> str:
    head = [
        "in turn (s)",
        "forked (s)",
        "saved (s)",
        "peak in turn (MiB)",
        "peak forked (MiB)",
        "sort alone (s)",
        "two sorts at once (s)",
    ]
    lines = ["| round | " + " | ".join(head) + " |", "|" + "---|" * (len(head) + 1)]
    for k, one in enumerate(results, start=1):
        turn, fork = one["in turn"], one["forked"]
        cells = [
            f"{turn['seconds']:.2f}",
            f"{fork['seconds']:.2f}",
            f"{turn['seconds'] - fork['seconds']:.2f}",
            f"{turn['peak_pss_mib']:,.0f}",
            f"{fork['peak_pss_mib']:,.0f}",
            f"{one['sort alone']:.2f}",
            f"{one['two sorts at once']:.2f}",
        ]
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        kind, *rest = argv[1:]
        out = sort_worker() if kind == "sort" else worker(Path(rest[0]), rest[1])
        print(json.dumps(out))
        return 0
    parser = rounds_parser(__doc__.splitlines()[0], "also write the rounds here")
    args = parse_rounds(parser, argv)
    if not hasattr(os, "fork") or not Path("/proc/self/smaps_rollup").exists():
        parser.error("this measurement needs os.fork and /proc (Linux)")
    folder = history(args.size, args.seed, args.cache)
    results = measure(folder, args.rounds)
    print_and_save(table(results), results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
