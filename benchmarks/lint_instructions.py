"""Instruction counts of the flake8 variants under valgrind: a figure that repeats exactly for
the same command, seed and paths, where wall time on a shared machine moves by 40 %.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from harness import CommandFailed, Variant, run_timed
from lint_corpus import CANARY_NAME, Corpus

# Files in the instruction-count sample: about 1/8 of the small corpus. Under cachegrind a
# run is ~20x slower, so the whole corpus would take half an hour per variant. A corpus of
# up to WHOLE_LINES lines (the generated service: ~27k) is counted whole: a sample of it
# would charge the plugin's per-project cost (walking and reading the index of the whole
# project) to an eighth of the files flake8 checks.
SAMPLE_FILES = 128
WHOLE_LINES = 40_000
IREFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def instruction_sample(corpus: Corpus) -> list[Path]:
    """Every k-th corpus file (sorted), about SAMPLE_FILES of them, and the canary; every
    file of a corpus of at most WHOLE_LINES lines."""
    files = sorted(corpus.files)
    if corpus.lines <= WHOLE_LINES:
        return files
    step = max(1, -(-len(files) // SAMPLE_FILES))
    sample = files[::step]
    canary = next(f for f in files if f.name == CANARY_NAME)
    return sample if canary in sample else [*sample, canary]


def instruction_counts(
    variants: Sequence[Variant],
    corpus: Corpus,
    out_dir: Path,
    log: Callable[[str], None],
    seeds: Sequence[int] = (0, 1),
) -> dict[str, Any]:
    """Instructions each flake8 variant executes over a fixed sample of the corpus, counted by
    valgrind (cachegrind without cache simulation), once per ``PYTHONHASHSEED`` in ``seeds``.

    Unlike wall time on a shared machine (two runs of the same flake8 command here differ by
    up to 40 %), a count repeats exactly for the same command, seed and paths. What still
    moves it is memory layout (when the collector runs, dict sizes): the baseline's change
    from one seed to the next shows how much, and the ratio is the mean over the seeds.
    """
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return {"available": False, "reason": "valgrind not found (Debian: apt install valgrind)"}
    sample = instruction_sample(corpus)
    grind = [valgrind, "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
    counts: dict[str, dict[int, int]] = {v.name: {} for v in variants}
    for seed in seeds:
        for v in variants:
            argv = [arg for arg in v.cmd if arg != "." and not arg.startswith("--jobs")]
            cmd = [*grind, *argv, "--jobs=1", *(str(p.relative_to(corpus.root)) for p in sample)]
            env = {**(v.env or os.environ), "PYTHONHASHSEED": str(seed)}
            run = run_timed(cmd, corpus.root, out_dir, v.ok, env)
            if v.verify:
                v.verify(run)
            found = IREFS.findall(run.errors)
            if not found:
                raise CommandFailed(f"no instruction count from valgrind: {run.errors[-1000:]}")
            counts[v.name][seed] = int(found[-1].replace(",", ""))
            log(
                f"    instructions {v.name}, seed {seed}: {counts[v.name][seed]:,} "
                f"({run.wall:.0f} s under valgrind)"
            )
    base = variants[0].name
    per_seed = {
        v.name: [counts[v.name][seed] / counts[base][seed] for seed in seeds] for v in variants[1:]
    }
    first, last = counts[base][seeds[0]], counts[base][seeds[-1]]
    return {
        "available": True,
        "tool": "valgrind --tool=cachegrind --cache-sim=no",
        "seeds": list(seeds),
        "sample_files": len(sample),
        "sample_lines": sum(p.read_bytes().count(b"\n") for p in sample),
        "counts": {name: statistics.mean(by_seed.values()) for name, by_seed in counts.items()},
        "counts_by_seed": {name: {str(k): n for k, n in c.items()} for name, c in counts.items()},
        "ratio_by_seed": per_seed,
        "ratio": {name: statistics.mean(ratios) for name, ratios in per_seed.items()},
        "baseline_seed_spread_pct": 100 * (last / first - 1),
    }
