"""benchmarks/lint_speed.py runs end to end on a tiny corpus and writes the JSON it promises.

Not a timing test: only the shape of the result is checked.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "lint_speed.py"
LEGS = (
    "flake8_plugin",
    "flake8_ci",
    "standalone_vs_ruff",
    "standalone_vs_tyasync",
    "codemod_vs_libcst",
)


def test_lint_speed_smoke(tmp_path: Path) -> None:
    out = tmp_path / "lint_speed.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--smoke", "--limit-files", "5", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    assert {"machine", "tools", "settings", "tiers", "started_utc", "finished_utc"} <= set(result)
    assert {"cpu_model", "cores", "python"} <= set(result["machine"])
    small = result["tiers"]["small"]
    assert small["corpus"]["files"] == 6  # 5 copied files and the canary
    assert small["corpus"]["lines"] > 0
    assert set(small["legs"]) == set(LEGS)

    flake8 = small["legs"]["flake8_plugin"]
    assert flake8["available"] is True
    assert set(flake8["wall_s"]) == {"without", "with_cel", "with_bugbear"}
    assert all(len(times) == 1 for times in flake8["wall_s"].values())
    assert {"overhead_pct", "anchor_bugbear_overhead_pct", "ratio", "pass"} <= set(flake8)
    counted = flake8["instructions"]
    if shutil.which("valgrind"):  # the verdict rests on instruction counts where it can
        assert counted["available"] is True and flake8["judged_on"] == "instructions"
        assert set(counted["counts"]) == {"without", "with_cel", "with_bugbear"}
        assert all(n > 10**8 for n in counted["counts"].values())  # flake8 ran, under valgrind
        assert counted["sample_files"] == 6
        assert "flake8 +CEL vs flake8 (instructions)" in proc.stdout
    else:
        assert counted["available"] is False and "valgrind" in counted["reason"]

    ci = small["legs"]["flake8_ci"]  # flake8 -j2 with the cache off and warm
    assert set(ci["cpu_s"]) == {"without", "cold", "warm"}
    assert {"overhead_cold_cpu_pct", "overhead_warm_cpu_pct", "pass_cold", "pass_warm"} <= set(ci)
    assert "flake8 -j2 +CEL, cache off (CI)" in proc.stdout

    for key in ("standalone_vs_ruff", "codemod_vs_libcst"):
        leg = small["legs"][key]
        if leg["available"]:
            assert {"wall_s", "cpu_s", "median_wall_s", "ratio", "pass"} <= set(leg)
            assert leg["ratio"]["median"] > 0
        else:  # e.g. the codemod not installed yet: said so in the table
            assert leg["reason"]
            assert "not available" in proc.stdout
    assert "flake8 +CEL vs flake8" in proc.stdout
