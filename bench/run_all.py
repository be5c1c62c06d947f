"""Run every benchmark in order, then rewrite the summary table at the top of docs/PERFORMANCE.md.

    .venv/bin/python bench/run_all.py [--quick] [--no-append] [--only 1 3 ...]

Each benchmark prints its table and appends its raw run (date, machine) to docs/PERFORMANCE.md;
a benchmark that fails is reported as such and the others still run.
"""

from __future__ import annotations

import re
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from datetime import UTC

import common  # noqa: E402  (bench/ is put on sys.path above)

SUMMARY_START = "<!-- summary:start -->"
SUMMARY_END = "<!-- summary:end -->"


def benchmarks():
    import bench_action_overhead
    import bench_big_room
    import bench_browser
    import bench_client_vs_sdk
    import bench_fetchcall_budget
    import bench_push
    import bench_refresh_cost
    import bench_throughput
    import bench_transcripts
    import bench_upstream_calls
    import bench_viewers
    import mute_cpu_split

    return {
        1: lambda quick, append: bench_upstream_calls.run(quick, append),
        2: lambda quick, append: bench_action_overhead.run(quick, append),
        3: lambda quick, append: bench_refresh_cost.run(quick, append),
        4: lambda quick, append: bench_viewers.run(quick, append),
        5: lambda quick, append: bench_throughput.run(quick, append),
        6: lambda quick, append: bench_client_vs_sdk.run(quick, append),
        7: lambda quick, append: bench_browser.run(quick, append),
        8: lambda quick, append: bench_big_room.run(quick, append),
        13: lambda quick, append: bench_fetchcall_budget.run(quick, append),
        15: lambda quick, append: bench_push.run(quick, append),
        16: lambda quick, append: bench_transcripts.run(quick, append),
        17: lambda quick, append: mute_cpu_split.run(quick, append),
    }


def _kept_rows(only: list[int] | None) -> list[str]:
    """Summary rows of benchmarks not re-run this time (with --only), from the current file."""
    if not only or not common.PERFORMANCE_MD.exists():
        return []
    document = common.PERFORMANCE_MD.read_text()
    block = document.split(SUMMARY_START, 1)[-1].split(SUMMARY_END, 1)[0] if SUMMARY_START in document else ""
    return [line for line in block.splitlines() if re.match(r"\| \d+ \|", line) and int(line.split("|")[1]) not in only]


def summary(goals: list[common.Goal], failures: dict[int, str], quick: bool, only: list[int] | None = None) -> str:
    from datetime import datetime

    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        SUMMARY_START,
        f"Latest `bench/run_all.py{' --quick' if quick else ''}` "
        f"({stamp}{'; benchmarks ' + ' '.join(map(str, only)) + ' re-run, the rest kept' if only else ''}; "
        f"{common.machine()}):",
        "",
        "| # | goal | figure | met | command |",
        "|---|---|---|---|---|",
    ]
    rows = _kept_rows(only)
    for goal in goals:
        met = "n/a" if goal.met is None else ("yes" if goal.met else "**no**")
        rows.append(f"| {goal.number} | {goal.name}: {goal.goal} | {goal.figure} | {met} | `{goal.command}` |")
    for number, error in failures.items():
        rows.append(
            f"| {number} | benchmark failed | {error} | **no** | `.venv/bin/python bench/run_all.py --only {number}` |"
        )
    lines += sorted(rows, key=lambda row: int(row.split("|")[1]))
    lines.append(SUMMARY_END)
    return "\n".join(lines)


def write_summary(text: str) -> None:
    document = (
        common.PERFORMANCE_MD.read_text()
        if common.PERFORMANCE_MD.exists()
        else f"# Performance\n\n{common.RAW_HEADING}\n\n"
    )
    if SUMMARY_START in document:
        document = re.sub(
            re.escape(SUMMARY_START) + ".*?" + re.escape(SUMMARY_END), lambda _: text, document, flags=re.S
        )
    else:
        document = document.replace(common.RAW_HEADING, text + "\n\n" + common.RAW_HEADING, 1)
    common.PERFORMANCE_MD.write_text(document)


def main() -> int:
    parser = common.standard_args(__doc__)
    parser.add_argument("--only", type=int, nargs="*", help="benchmark numbers to run (default: all)")
    args = parser.parse_args()
    append = not args.no_append
    goals, failures = [], {}
    for number, run in benchmarks().items():
        if args.only and number not in args.only:
            continue
        try:
            goals += run(args.quick, append).goals
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            traceback.print_exc()
            failures[number] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
    if append:
        write_summary(summary(goals, failures, args.quick, args.only))
    print("\nSummary")
    for goal in goals:
        print(
            f"  {goal.number} {goal.name}: {goal.figure} "
            f"({'n/a' if goal.met is None else 'met' if goal.met else 'NOT met'})"
        )
    for number, error in failures.items():
        print(f"  {number} FAILED: {error}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
