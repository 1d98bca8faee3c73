#!/usr/bin/env python3
"""The long fuzzing run of issue 11: hostile inputs of every family through abigate, judged and counted.

    python scripts/fuzz.py --hours 1 --strace --table table.md     # the run whose figures are in
                                                                   # docs/reliability.md
    python scripts/fuzz.py --inputs 2000                           # a quick look
    python scripts/fuzz.py --replay elf-1234 --seed 11             # rebuild one case and run it, verbosely

Every case is generated from (seed, family, index) alone, so a failure is reproduced with ``--replay``.
Each runs in a child forked from a warm worker (``tests/fuzzing/worker.py``) under a wall-clock limit
(``--timeout``), a CPU-time limit (``--cpu-limit``) and an address-space limit (``--as-limit``); one
case in ``--subprocess-every`` is run as a real ``python -m abigate`` process instead, judged the same
way. With ``--strace`` the workers run under
``strace -f --seccomp-bpf`` and every file the children create, open for writing, rename, remove or change
outside their case's ``out/`` folder is a "write". The rules are in ``tests/fuzzing/runner.py``.

Output: a Markdown table per family (inputs, tracebacks, wrong exits, hangs, memory errors, RSS above the
bound, max RSS, writes), then every failing case with its command and the first lines of its stderr.
Exit status 0 when every figure is at its goal, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from fuzzing.case import Case
from fuzzing.families import FAMILIES, WEIGHTS, make_case
from fuzzing.runner import Outcome, Runner, judge

_COLUMNS = ("inputs", "traceback", "wrong-exit", "hang", "memory", "rss", "writes")


def _stream(
    families: list[str],
    seed: int,
    workdir: Path,
    deadline: float,
    limit: int | None,
    made: dict[str, int],
    quarantined: dict[tuple[str, str], int],
) -> Iterator[tuple[str, Case]]:
    """Cases in a fixed, seeded order of families, until the deadline or the input limit.

    A case of a quarantined (family, kind) is built (so the order and every later case stay the same) but
    not run; *quarantined* counts them.
    """
    order = random.Random(f"abigate-fuzz-schedule/{seed}")
    weights = [WEIGHTS[f] for f in families]
    count = 0
    while time.monotonic() < deadline and (limit is None or count < limit):
        family = order.choices(families, weights)[0]
        index = made.get(family, 0)
        made[family] = index + 1
        case = make_case(family, seed, index, workdir)
        if (family, case.kind) in quarantined:
            quarantined[family, case.kind] += 1
            shutil.rmtree(
                Path(case.cwd.split(f"/{family}-{index}")[0]) / f"{family}-{index}", ignore_errors=True
            )
            continue
        count += 1
        yield f"{family}-{index}", case


def _excerpt(text: str, lines: int = 4) -> str:
    kept = [line for line in text.splitlines() if line.strip()]
    tail = kept[-lines:] if any("Traceback" in x for x in kept) else kept[:lines]
    return " | ".join(x.strip()[:160] for x in tail)


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--hours", type=float, default=None, help="run this long (default: until --inputs)")
    ap.add_argument("--inputs", type=int, default=None, help="stop after this many inputs")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--families", default=",".join(FAMILIES), help="comma-separated (default: all)")
    ap.add_argument("--workers", type=int, default=2, help="warm workers running cases in parallel")
    ap.add_argument("--cpu-limit", type=int, default=10, help="CPU seconds per input before it is a hang")
    ap.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help="wall-clock seconds per input before it is a hang (catches blocking, not spinning)",
    )
    ap.add_argument("--as-limit", type=int, default=1536, help="address-space limit per input, MiB")
    ap.add_argument("--rss-limit", type=int, default=150, help="peak RSS goal per input, MB")
    ap.add_argument(
        "--subprocess-every",
        type=int,
        default=200,
        help="run every Nth input as a real `python -m abigate` process instead of a fork (0: never)",
    )
    ap.add_argument(
        "--quarantine",
        type=int,
        default=5,
        help="stop running a (family, kind) after it broke a rule this many times (0: never); the report "
        "lists the kinds and how many of their cases were built but not run",
    )
    ap.add_argument("--strace", action="store_true", help="trace file system calls and count writes")
    ap.add_argument("--table", type=Path, help="write the Markdown report here too")
    ap.add_argument("--json", type=Path, help="write every failing case and the totals as JSON")
    ap.add_argument("--replay", help="FAMILY-INDEX: rebuild that one case, run it, print everything")
    ap.add_argument("--keep", action="store_true", help="keep the cases' folder (its path is printed)")
    args = ap.parse_args(argv)
    rss_limit_kb = args.rss_limit * 1000 * 1000 // 1024
    as_limit = args.as_limit << 20
    workdir = Path(tempfile.mkdtemp(prefix="abigate-fuzz-"))
    try:
        if args.replay:
            family, _, index = args.replay.rpartition("-")
            case = make_case(family, args.seed, int(index), workdir)
            print(f"{args.replay}: kind {case.kind}; abigate {' '.join(case.argv)}  (in {case.cwd})")
            with Runner(1, timeout=args.timeout, cpu_limit=args.cpu_limit, as_limit=as_limit) as runner:
                twice = [(args.replay, case), (args.replay + "-real", case)]
                for _, _, out in runner.run(twice, real_every=2):
                    how = "subprocess" if out.real else "forked"
                    print(
                        f"{how}: exit {out.rc}, {out.wall:.2f} s, {out.cpu:.2f} s CPU, "
                        f"{out.maxrss_kb // 1024} MiB, broke {judge(case, out, rss_limit_kb) or 'nothing'}\n"
                        f"{out.stderr}"
                    )
            return 0
        families = [f for f in args.families.split(",") if f]
        unknown = sorted(set(families) - set(FAMILIES))
        if unknown:
            ap.error(f"unknown families: {', '.join(unknown)} (known: {', '.join(FAMILIES)})")
        if args.hours is None and args.inputs is None:
            args.inputs = 1000
        # Byte-compile abigate first: a worker that imports a module edited since the last run would write
        # its .pyc under src/, a write the strace judge would (rightly) count.
        import compileall

        compileall.compile_dir(str(ROOT / "src" / "abigate"), quiet=1)
        deadline = time.monotonic() + (args.hours * 3600 if args.hours else 10**9)
        return _run(args, families, workdir, deadline, rss_limit_kb, as_limit)
    finally:
        if args.keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _run(
    args: argparse.Namespace,
    families: list[str],
    workdir: Path,
    deadline: float,
    rss_limit_kb: int,
    as_limit: int,
) -> int:
    stats = {
        f: dict.fromkeys(_COLUMNS, 0) | {"max_rss_kb": 0, "max_wall": 0.0, "max_cpu": 0.0} for f in families
    }
    sub_stats = {"inputs": 0, "failed": 0, "max_rss_kb": 0}
    failures: list[dict[str, Any]] = []
    cases: dict[str, tuple[str, str, list[str]]] = {}
    made: dict[str, int] = {}
    seen_broken: dict[tuple[str, str], int] = {}
    quarantined: dict[tuple[str, str], int] = {}
    started = time.monotonic()
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    done = 0

    def fail(case_id: str, case: Case, broke: list[str], out: Outcome, how: str) -> None:
        failures.append(
            {
                "id": case_id,
                "family": case.family,
                "kind": case.kind,
                "argv": case.argv,
                "broke": broke,
                "rc": out.rc,
                "wall": out.wall,
                "cpu": out.cpu,
                "maxrss_mb": out.maxrss_kb // 1024,
                "stderr": _excerpt(out.stderr),
                "how": how,
            }
        )

    with Runner(
        args.workers, strace=args.strace, timeout=args.timeout, cpu_limit=args.cpu_limit, as_limit=as_limit
    ) as runner:
        stream = _stream(families, args.seed, workdir, deadline, args.inputs, made, quarantined)
        for case_id, case, out in runner.run(stream, real_every=args.subprocess_every):
            s = stats[case.family]
            s["inputs"] += 1
            s["max_rss_kb"] = max(s["max_rss_kb"], out.maxrss_kb)
            s["max_wall"] = max(s["max_wall"], out.wall)
            s["max_cpu"] = max(s["max_cpu"], out.cpu)
            broke = judge(case, out, rss_limit_kb)
            for rule in broke:
                s[rule] += 1
            if broke:
                fail(case_id, case, broke, out, "subprocess" if out.real else "forked")
                signature = (case.family, case.kind)
                seen_broken[signature] = seen_broken.get(signature, 0) + 1
                if args.quarantine and seen_broken[signature] >= args.quarantine:
                    quarantined.setdefault(signature, 0)
            cases[case_id] = (case.family, case.kind, case.argv)
            done += 1
            if out.real:
                sub_stats["inputs"] += 1
                sub_stats["max_rss_kb"] = max(sub_stats["max_rss_kb"], out.maxrss_kb)
                sub_stats["failed"] += bool(broke)
            shutil.rmtree(Path(case.cwd.split(f"/{case_id}")[0]) / case_id, ignore_errors=True)
            if done % 1000 == 0:
                rate = done / (time.monotonic() - started)
                print(
                    f"[{time.strftime('%H:%M:%S')}] {done} inputs ({rate:.1f}/s), {len(failures)} failing",
                    file=sys.stderr,
                    flush=True,
                )
    writes, tmpfiles = runner.traced()
    for case_id, lines in sorted(writes.items()):
        family, kind, argv = cases.get(case_id, (case_id.rpartition("-")[0], "?", []))
        if family in stats:
            stats[family]["writes"] += 1
        failures.append(
            {
                "id": case_id,
                "family": family,
                "kind": kind,
                "argv": argv,
                "broke": ["writes"],
                "stderr": " | ".join(lines[:3]),
                "how": "strace",
            }
        )
    elapsed = time.monotonic() - started
    report = _table(stats, sub_stats, failures, args, elapsed, date, sum(tmpfiles.values()), rss_limit_kb)
    if quarantined:
        report += (
            "\nQuarantined after "
            + f"{args.quarantine} broken cases (built, not run): "
            + ", ".join(f"{family} {kind} ({n} not run)" for (family, kind), n in sorted(quarantined.items()))
            + ".\n"
        )
    print(report)
    if args.table:
        args.table.write_text(report)
    if args.json:
        args.json.write_text(
            json.dumps({"stats": stats, "subprocess": sub_stats, "failures": failures}, indent=1)
        )
    bad = any(s[c] for s in stats.values() for c in _COLUMNS[1:])
    return 1 if bad or sub_stats["failed"] else 0


def _table(
    stats: dict[str, dict[str, float]],
    sub: dict[str, int],
    failures: list[dict[str, Any]],
    args: argparse.Namespace,
    elapsed: float,
    date: str,
    tmpfiles: int,
    rss_limit_kb: int,
) -> str:
    total = {c: sum(int(s[c]) for s in stats.values()) for c in _COLUMNS}
    max_rss = max((int(s["max_rss_kb"]) for s in stats.values()), default=0)
    summary = (
        f"Run of {date} on commit {_git_commit()}: seed {args.seed}, {elapsed / 60:.0f} min, "
        f"{total['inputs']:,} inputs ({total['inputs'] / max(elapsed, 1):.1f}/s), {args.workers} workers, "
        f"limits {args.cpu_limit} s of CPU, {args.timeout:g} s of wall time and {args.as_limit} MiB of "
        f"address space per input, RSS goal "
        f"{args.rss_limit} MB; writes {'traced with strace' if args.strace else 'not traced'}"
        f"{f' ({tmpfiles} anonymous O_TMPFILE files, not counted)' if args.strace else ''}; "
        f"{sub['inputs']} of the inputs run as real subprocesses ({sub['failed']} failing, max RSS "
        f"{sub['max_rss_kb'] / 1024:.0f} MiB)."
    )
    header = (
        "| family | inputs | tracebacks | wrong exits | hangs | memory errors | RSS > goal | max RSS (MiB) "
        "| max CPU (s) | writes |"
    )
    lines = [summary, "", header, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for family, s in stats.items():
        lines.append(
            f"| {family} | {int(s['inputs']):,} | {int(s['traceback'])} | {int(s['wrong-exit'])} | "
            f"{int(s['hang'])} | {int(s['memory'])} | {int(s['rss'])} | {s['max_rss_kb'] / 1024:.0f} | "
            f"{s['max_cpu']:.2f} | {int(s['writes']) if args.strace else 'n/a'} |"
        )
    lines.append(
        f"| **total** | **{total['inputs']:,}** | {total['traceback']} | {total['wrong-exit']} | "
        f"{total['hang']} | {total['memory']} | {total['rss']} | {max_rss / 1024:.0f} | "
        f"{max(float(s['max_cpu']) for s in stats.values()) if stats else 0:.2f} | "
        f"{total['writes'] if args.strace else 'n/a'} |"
    )
    if failures:
        title = (
            f"Failing cases ({len(failures)}; replay with `scripts/fuzz.py --seed {args.seed} --replay ID`):"
        )
        lines += ["", title, ""]
        for f in failures[:200]:
            lines.append(
                f"- `{f['id']}` ({f['kind']}, {f['how']}): broke {', '.join(f['broke'])}; "
                f"exit {f.get('rc', '?')}, {f.get('cpu', '?')} s CPU, {f.get('maxrss_mb', '?')} MiB; "
                f"`abigate {' '.join(str(a)[:60] for a in f['argv'])[:200]}`: {f['stderr'][:300]}"
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
