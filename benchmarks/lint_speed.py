"""Lint-speed benchmarks: the CEL checker against flake8, ruff, ty-async and libcst.

    python benchmarks/lint_speed.py [--large] [--tree PATH] [--legs ...] [--rounds N] [--json PATH]

Prints a table and writes every raw timing as JSON (default ``benchmarks/results/lint_speed.json``).
Every leg runs whole commands side by side, from the root of the tree they check, after one
untimed warm-up run of each (OS file cache), with the order rotated every round; the medians of
the per-round ratios are reported with their min and max, nothing dropped. Child CPU time
(user + sys, from ``RUSAGE_CHILDREN``, workers included) is recorded beside the wall time: on a
shared machine its ratio is the steadier one.

The parts: ``lint_corpus.py`` builds the corpora (small: the standard library plus Celery,
kombu, FastAPI, Starlette; ``--large``: all of site-packages; ``app``: the generated service;
``--tree``: a copy of a real service), ``lint_legs.py`` runs the legs, ``lint_instructions.py``
counts instructions under valgrind, ``lint_report.py`` prints the table and
``lint_profile.py`` profiles the plugin in-process (``--profile``). ``harness.py`` holds what
every benchmark here shares: the alternation, the timing, the ratios and the JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from harness import RESULTS, dist_version, git_state, machine_info
from lint_corpus import Corpus, build_corpus, build_tree_corpus
from lint_legs import (
    BUDGETS,
    BUGBEAR_DIST,
    OUR_DIST,
    ci_leg,
    codemod_leg,
    flake8_leg,
    standalone_leg,
    tyasync_leg,
)
from lint_profile import profile_plugin
from lint_report import table

DEFAULT_JSON = RESULTS / "lint_speed.json"
LEGS = ("flake8", "ci", "standalone", "tyasync", "codemod")


def use_bytecode_cache(prefix: Path) -> str:
    """Let every child read and write ``.pyc`` files, under ``prefix`` (not beside sources).

    An installed package has its bytecode compiled at install time. With
    ``PYTHONDONTWRITEBYTECODE`` set (some CI and sandbox environments), an editable install
    would instead be compiled from source in every run, a cost that only the "with" variants
    pay. The warm-up runs fill the cache; the timed runs read it.
    """
    was = os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(prefix)
    return "children write and read .pyc under a temp PYTHONPYCACHEPREFIX" + (
        " (PYTHONDONTWRITEBYTECODE was set here and is removed for them)" if was else ""
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--large", action="store_true", help="also run the large tier")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per leg (default 5)")
    parser.add_argument(
        "--libcst-rounds", type=int, default=3, help="rounds for codemod vs libcst (default 3)"
    )
    parser.add_argument(
        "--standalone-rounds",
        type=int,
        default=21,
        help="rounds for standalone vs ruff (default 21: a run takes a fraction of a second, "
        "and short runs on a shared machine need many)",
    )
    parser.add_argument(
        "--jobs", default="1", help="flake8 --jobs for every flake8 variant (default 1)"
    )
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write JSON")
    parser.add_argument("--limit-files", type=int, default=None, help="copy at most N files")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny run for tests: --limit-files 8 (unless given), 1 round of each leg",
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the flake8 plugin in-process too"
    )
    parser.add_argument(
        "--table-from",
        type=Path,
        metavar="JSON",
        help="print the table of an earlier run's JSON and exit",
    )
    parser.add_argument(
        "--legs",
        default=",".join(LEGS),
        help=f"comma-separated legs to run (default: all of {', '.join(LEGS)}; ci is "
        "flake8 -j2 with the cache off and warm)",
    )
    parser.add_argument(
        "--tree",
        type=Path,
        action="append",
        default=[],
        metavar="PATH",
        help="also time a copy of this tree (a real service), run from its root; repeatable",
    )
    parser.add_argument(
        "--no-small", action="store_true", help="leave out the small (library) tier"
    )
    parser.add_argument(
        "--app-domains",
        type=int,
        default=80,
        help="domains of the generated Celery-service tier (80: about 2,000 files; 0: no app "
        "tier; --smoke: 2)",
    )
    return parser


def run_tier(
    corpus: Corpus, legs: set[str], args: argparse.Namespace, work: Path, log: Callable[[str], None]
) -> dict[str, Any]:
    data: dict[str, Any] = {"corpus": corpus.summary(), "legs": {}}
    skipped = {"available": False, "reason": "not selected (--legs)", "budget": None}
    seeds = (0,) if args.smoke else (0, 1)
    chosen: dict[str, tuple[str, Callable[[], dict[str, Any]]]] = {
        "flake8_plugin": (
            "flake8",
            lambda: flake8_leg(corpus, args.rounds, args.jobs, work, log, seeds),
        ),
        "flake8_ci": ("ci", lambda: ci_leg(corpus, args.rounds, work, log)),
        "standalone_vs_ruff": (
            "standalone",
            lambda: standalone_leg(corpus, args.standalone_rounds, work, log),
        ),
        "standalone_vs_tyasync": (
            "tyasync",
            lambda: tyasync_leg(corpus, args.standalone_rounds, work, log),
        ),
        "codemod_vs_libcst": (
            "codemod",
            lambda: codemod_leg(corpus, args.libcst_rounds, work, log),
        ),
    }
    for key, (name, leg) in chosen.items():
        log(f"  {key} ...")
        data["legs"][key] = leg() if name in legs else skipped
        if data["legs"][key].get("reason") and name in legs:
            log(f"    {data['legs'][key]['reason']}")
    return data


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.table_from:
        print(table(json.loads(args.table_from.read_text(encoding="utf-8"))))
        return 0
    if args.smoke:
        args.limit_files = args.limit_files or 8
        args.rounds = args.libcst_rounds = args.standalone_rounds = 1
        args.app_domains = 0 if "--app-domains" not in (argv or sys.argv) else args.app_domains
    legs = {x.strip() for x in args.legs.split(",") if x.strip()}
    if legs - set(LEGS):
        raise SystemExit(f"lint_speed: unknown legs {sorted(legs - set(LEGS))}; known: {LEGS}")

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    tiers: list[str] = [] if args.no_small else ["small"]
    tiers += ["large"] if args.large else []
    tiers += ["app"] if args.app_domains > 0 else []
    trees = {tree.resolve().name: tree.resolve() for tree in args.tree}
    result: dict[str, Any] = {
        "schema": 1,
        "command": [Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])],
        "started_utc": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "machine": machine_info(),
        "git_at_start": git_state(),
        "tools": {
            name: dist_version(name)
            for name in ("flake8", OUR_DIST, BUGBEAR_DIST, "ruff", "libcst", "ty-async")
        },
        "settings": {
            "rounds": args.rounds,
            "libcst_rounds": args.libcst_rounds,
            "standalone_rounds": args.standalone_rounds,
            "flake8_jobs": args.jobs,
            "limit_files": args.limit_files,
            "legs": sorted(legs),
            "budgets": BUDGETS,
            "profile_tier": [*tiers, *trees][-1],
        },
        "tiers": {},
    }
    with tempfile.TemporaryDirectory(prefix="lint_speed-") as tmp:
        work = Path(tmp)
        result["settings"]["bytecode"] = use_bytecode_cache(work / "pycache")
        corpora: dict[str, Corpus] = {}
        for tier in [*tiers, *trees]:
            log(f"building the {tier} corpus ...")
            dest = work / f"corpus-{tier}"
            corpora[tier] = (
                build_tree_corpus(trees[tier], dest)
                if tier in trees
                else build_corpus(tier, dest, args.limit_files, args.app_domains)
            )
            log(f"  {len(corpora[tier].files):,} files, {corpora[tier].lines:,} lines")
            result["tiers"][tier] = run_tier(corpora[tier], legs, args, work, log)
        if args.large and not args.no_small:
            result["growth"] = growth(result["tiers"]["small"]["legs"], result["tiers"]["large"])
        if args.profile:
            last = result["settings"]["profile_tier"]
            log(f"  profiling the plugin in-process on {last} ...")
            result["profile"] = profile_plugin(corpora[last])
            fl = result["tiers"][last]["legs"]["flake8_plugin"]
            if fl.get("available") and args.jobs == "1":
                cost = result["profile"]["plugin_run_s"]
                cost += result["profile"]["import_time_s"]["import_s"]
                result["profile"]["direct_overhead_pct"] = (
                    100 * cost / fl["median_wall_s"]["without"]
                )
    result["git_at_end"] = git_state()
    result["finished_utc"] = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(table(result))
    print(f"\nJSON: {args.json}")
    return 0


def judged_ratio(leg: dict[str, Any]) -> float:
    """The ratio a leg's verdict rests on: the flake8 leg's instruction count if it has one."""
    if leg.get("judged_on") == "instructions":
        return float(leg["instructions"]["ratio"]["with_cel"])
    return float(leg["ratio"]["median"])


def growth(small: dict[str, Any], large: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("flake8_plugin", "standalone_vs_ruff", "codemod_vs_libcst"):
        a, b = small.get(key, {}), large["legs"].get(key, {})
        if a.get("available") and b.get("available"):
            ra, rb = judged_ratio(a), judged_ratio(b)
            g = rb / ra
            out[key] = {
                "available": True,
                "small_ratio": ra,
                "large_ratio": rb,
                "growth": g,
                "budget": BUDGETS["growth"],
                "pass": g <= 1.5,
            }
        else:
            out[key] = {"available": False}
    return out


if __name__ == "__main__":
    sys.exit(main())
