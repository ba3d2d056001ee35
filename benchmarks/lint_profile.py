"""An in-process cProfile of the flake8 plugin over a corpus (``lint_speed.py --profile``):
trees parsed outside the profile, as flake8 hands them to the plugin; and its import time.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import statistics
import subprocess
import sys
import time
from typing import Any

from lint_corpus import Corpus


def profile_plugin(corpus: Corpus, top: int = 25) -> dict[str, Any]:
    """cProfile the plugin's ``run`` over the corpus, the way flake8 calls it."""
    import ast

    from flake8_celery_async.plugin import Plugin
    from flake8_celery_async.rules import may_have_findings

    inputs: list[tuple[ast.Module, list[str], str]] = []
    for path in corpus.files:
        data = path.read_bytes()
        try:
            tree = ast.parse(data)
            text = data.decode(_encoding(data))
        except (SyntaxError, ValueError, UnicodeDecodeError, LookupError):
            continue
        inputs.append((tree, io.StringIO(text, newline="").readlines(), str(path)))
    # Plain timing first (no profiler overhead), then the profile.
    start = time.perf_counter()
    passed = 0
    for tree, lines, name in inputs:
        plugin = Plugin(tree, lines, name)
        if may_have_findings("".join(lines), plugin.settings):
            passed += 1
    text_check_s = time.perf_counter() - start
    start = time.perf_counter()
    findings = sum(len(list(Plugin(*args).run())) for args in inputs)
    plugin_s = time.perf_counter() - start
    profiler = cProfile.Profile()
    profiler.enable()
    for args in inputs:
        for _ in Plugin(*args).run():
            pass
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    by_tottime = out.getvalue()
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats("cumulative").print_stats(top)
    return {
        "files": len(inputs),
        "files_passing_text_check": passed,
        "findings": findings,
        "plugin_run_s": plugin_s,
        "text_check_only_s": text_check_s,
        "import_time_s": plugin_import_time(),
        "top_tottime": by_tottime,
        "top_cumulative": out.getvalue(),
    }


def _encoding(data: bytes) -> str:
    import tokenize

    return tokenize.detect_encoding(io.BytesIO(data).readline)[0]


def plugin_import_time(samples: int = 5) -> dict[str, float]:
    """Wall time of ``import flake8_celery_async.plugin`` in a fresh interpreter, vs bare."""

    def once(code: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - start

    once("import ast, argparse, flake8_celery_async.plugin")  # fill the bytecode cache
    bare = statistics.median(once("import ast, argparse") for _ in range(samples))
    plugin = statistics.median(
        once("import ast, argparse, flake8_celery_async.plugin") for _ in range(samples)
    )
    return {"bare_python_s": bare, "with_plugin_import_s": plugin, "import_s": plugin - bare}
