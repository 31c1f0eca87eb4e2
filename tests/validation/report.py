"""Print the validation table: case, parameters, analytic value, simulated mean, CI (family-wise 99%, Bonferroni over the checks).

    .venv/bin/python tests/validation/report.py [CASE…] [--no-coverage]
    .venv/bin/python -m tests.validation.report   # only where ``tests`` resolves to this folder

Runs exactly what the tests run (same files, seeds and checks, from
``cases.py``), serially; takes about a minute.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):  # run by path: import the package as pytest does
    # (as ``validation``: a top-level ``tests`` package installed by ciw, the
    # bench extra, shadows this project's ``tests`` folder, which has no __init__.py)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from validation import cases
else:
    from . import cases


def table(names: list[str]) -> list[str]:
    lines = ["| case | parameters | metric | analytic | simulated mean | CI (family-wise 99%) | inside |",
             "|---|---|---|---|---|---|---|"]
    for name in names:
        rows = cases.rows(name)
        failed = cases.errors(rows)
        if failed:
            raise SystemExit(f"the model raised in {name}:\n{failed[0]}")
        for target in cases.targets(name):
            result = cases.check(target, rows)
            mean, low, high = result.interval
            lines.append(f"| {name} | {target.label} | {target.metric} | {target.analytic:.6g} "
                         f"| {mean:.6g} | [{low:.6g}, {high:.6g}] "
                         f"| {'yes' if result.passed else 'NO'} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", metavar="CASE",
                        help=f"any of {', '.join(cases.CASES)} (default: all)")
    parser.add_argument("--no-coverage", action="store_true", help="skip the coverage case")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.cases) - set(cases.CASES))
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}; known: {', '.join(cases.CASES)}")
    names = args.cases or list(cases.CASES)
    lines = table(names)
    print("\n".join(lines))
    ok = all(not line.endswith("| NO |") for line in lines)
    if not args.no_coverage:
        result = cases.coverage(cases.coverage_rows())
        print()
        print(f"{result.message} (seeds {cases.COVERAGE_SEEDS[0]}..{cases.COVERAGE_SEEDS[-1]}, "
              f"{cases.COVERAGE_FILE})")
        ok = ok and result.pvalue > 0.01
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
