"""The lint benchmark's table: one line per measurement, A against B, the median of the
per-round ratios with their spread, the budget and the verdict.
"""

from __future__ import annotations

from typing import Any

from lint_legs import BUDGETS


def _s(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 0.1 else f"{seconds * 1000:.0f} ms"


def _git_line(result: dict[str, Any]) -> str:
    start, end = result.get("git_at_start"), result.get("git_at_end")
    if not start:
        return "unknown (no git)"
    line = f"commit {start['commit'][:10]}"
    if start["uncommitted_in_checker_or_codemod"]:
        line += " + uncommitted changes"
    if end and end != start:
        line += f" -> {end['commit'][:10]} by the end (changed during the run!)"
    return line


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def table(result: dict[str, Any]) -> str:
    m, s = result["machine"], result["settings"]
    out = [
        f"lint_speed  {result['started_utc']}",
        f"machine: {m['cpu_model']}, {m['cores']} cores, {m['implementation']} {m['python']}, "
        f"{m['platform']}",
        "tools: " + ", ".join(f"{k} {v}" for k, v in result["tools"].items()),
        f"rounds: {s['rounds']} (standalone/ruff: {s.get('standalone_rounds', s['rounds'])}, "
        f"codemod/libcst: {s['libcst_rounds']}), flake8 --jobs "
        f"{s['flake8_jobs']}, orders rotated, medians of per-round ratios [min-max]",
        f"bytecode: {s.get('bytecode', 'as the environment says')}",
        f"code under test: {_git_line(result)}",
    ]
    for tier, data in result["tiers"].items():
        c = data["corpus"]
        parts = ", ".join(f"{k} {v['files']}" for k, v in c["sources"].items())
        out.append(
            f"corpus {tier}: {c['files']:,} files, {c['lines']:,} lines ({parts})"
            + (f"; left out: {c['left_out']}" if c["left_out"] else "")
        )
    header = f"{'tier':<6} {'measurement':<36} {'A median':>10} {'B median':>10} "
    header += f"{'A/B wall':>22} {'A/B cpu':>9}  {'budget':<22} result"
    out += ["", header, "-" * len(header)]
    for tier, data in result["tiers"].items():
        legs = data["legs"]
        fl = legs["flake8_plugin"]
        if not fl.get("available"):
            out.append(f"{tier:<6} {'flake8 +CEL vs flake8':<36} not available: {fl['reason']}")
        else:
            for label, a, r, rc, verdict, budget in (
                (
                    "flake8 +CEL vs flake8",
                    "with_cel",
                    fl["ratio"],
                    fl["ratio_cpu"],
                    _verdict(fl["pass"]) if fl.get("judged_on", "wall") == "wall" else "(noise)",
                    fl["budget"],
                ),
                (
                    "flake8 +bugbear vs flake8 (anchor)",
                    "with_bugbear",
                    fl["anchor_bugbear_ratio"],
                    fl["anchor_bugbear_ratio_cpu"],
                    "",
                    "",
                ),
            ):
                med = fl["median_wall_s"]
                pct = f"{(r['median'] - 1) * 100:+.1f}% [{(r['min'] - 1) * 100:+.1f}.."
                pct += f"{(r['max'] - 1) * 100:+.1f}]"
                out.append(
                    f"{tier:<6} {label:<36} {_s(med[a]):>10} {_s(med['without']):>10} "
                    f"{pct:>22} {(rc['median'] - 1) * 100:>+8.1f}%  {budget:<22} {verdict}"
                )
                note = noise_note(fl) if a == "with_cel" else None
                if note:
                    out.append(note)
            out += instruction_lines(tier, fl)
        out += ci_lines(tier, legs.get("flake8_ci", {}))
        for key, label, a, b in (
            ("standalone_vs_ruff", "standalone vs ruff --select ASYNC", "standalone", "ruff"),
            (
                "codemod_vs_libcst",
                "codemod --check vs libcst loop",
                "codemod_check",
                "libcst_parse_loop",
            ),
        ):
            leg = legs[key]
            if key == "codemod_vs_libcst" and legs.get("standalone_vs_tyasync", {}).get(
                "available"
            ):
                out += tyasync_lines(tier, legs["standalone_vs_tyasync"])
            if not leg.get("available"):
                out.append(f"{tier:<6} {label:<36} not available: {leg['reason']}")
                continue
            r, rc, med = leg["ratio"], leg["ratio_cpu"], leg["median_wall_s"]
            ratio = f"{r['median']:.3f}x [{r['min']:.3f}..{r['max']:.3f}]"
            out.append(
                f"{tier:<6} {label:<36} {_s(med[a]):>10} {_s(med[b]):>10} {ratio:>22} "
                f"{rc['median']:>8.3f}x  {leg['budget']:<22} {_verdict(leg['pass'])}"
            )
            for name, codes in leg["exit_codes"].items():
                odd = sorted({c for c in codes if c not in (0, 1)})
                if odd:
                    out.append(
                        f"{'':<6}   ! {name} exited {odd} (3: unparsable file, 4: internal "
                        "error) - see stderr_tail_of_runs_exiting_not_0_or_1 in the JSON"
                    )
    for key, g in result.get("growth", {}).items():
        if g.get("available"):
            out.append(
                f"{'growth':<6} {key + ' large/small':<36} {'':>10} {'':>10} "
                f"{g['growth']:>21.3f}x {'':>9}  {BUDGETS['growth']:<22} {_verdict(g['pass'])}"
            )
        else:
            out.append(f"{'growth':<6} {key + ' large/small':<36} not available")
    prof = result.get("profile")
    if prof:
        imp, tier = prof["import_time_s"], result["settings"]["profile_tier"]
        out += [
            "",
            f"plugin profile ({tier} tier, in-process): {prof['files']} files, "
            f"{prof['files_passing_text_check']} pass the text check, "
            f"{prof['findings']} findings; Plugin.run total {_s(prof['plugin_run_s'])} "
            f"(of which the text check {_s(prof['text_check_only_s'])}); import "
            f"{imp['import_s'] * 1000:.0f} ms",
        ]
        if prof.get("direct_overhead_pct") is not None:
            out.append(
                f"direct estimate: (Plugin.run + import) / flake8's median without the plugin = "
                f"{prof['direct_overhead_pct']:+.2f} %  (flake8 --jobs 1 imports it once)"
            )
        out.append(prof["top_tottime"])
    return "\n".join(out)


def ci_lines(tier: str, leg: dict[str, Any]) -> list[str]:
    """flake8 -j2 with the cache off (a CI job) and warm, against flake8 without the plugin."""
    if not leg.get("available"):
        return []
    out, med = [], leg["median_wall_s"]
    for name, label in (
        ("cold", "flake8 -j2 +CEL, cache off (CI)"),
        ("warm", "flake8 -j2 +CEL, warm cache"),
    ):
        r, rc = leg[f"ratio_{name}"], leg[f"ratio_{name}_cpu"]
        pct = f"{(r['median'] - 1) * 100:+.1f}% [{(r['min'] - 1) * 100:+.1f}.."
        pct += f"{(r['max'] - 1) * 100:+.1f}]"
        out.append(
            f"{tier:<6} {label:<36} {_s(med[name]):>10} {_s(med['without']):>10} {pct:>22} "
            f"{(rc['median'] - 1) * 100:>+8.1f}%  {leg[f'budget_{name}']:<22} "
            f"{_verdict(leg[f'pass_{name}'])}"
        )
    return out


def tyasync_lines(tier: str, leg: dict[str, Any]) -> list[str]:
    out = []
    med = leg["median_wall_s"]
    for label, a, r, rc, budget, ok in (
        ("standalone cold vs ty-async", "cold", leg["ratio"], leg["ratio_cpu"],
         leg["budget"], leg["pass"]),
        ("standalone warm vs ty-async", "warm", leg["ratio_warm"], leg["ratio_warm_cpu"],
         leg["budget_warm"], leg["pass_warm"]),
    ):  # fmt: skip
        ratio = f"{r['median']:.3f}x [{r['min']:.3f}..{r['max']:.3f}]"
        out.append(
            f"{tier:<6} {label:<36} {_s(med[a]):>10} {_s(med['ty_async']):>10} {ratio:>22} "
            f"{rc['median']:>8.3f}x  {budget:<22} {_verdict(ok)}"
        )
    found = leg.get("findings", {})
    out.append(
        f"{'':<6}   findings: ours {found.get('warm', '?')} lines, "
        f"ty-async {found.get('ty_async', '?')} lines"
    )
    return out


def instruction_lines(tier: str, leg: dict[str, Any]) -> list[str]:
    counted = leg.get("instructions")
    label = "flake8 +CEL vs flake8 (instructions)"
    if not counted:
        return []
    if not counted.get("available"):
        return [f"{tier:<6} {label:<36} not available: {counted['reason']}"]
    c, lines = counted["counts"], []
    for name, text, verdict in (
        ("with_cel", label, _verdict(leg["pass"]) if leg["judged_on"] == "instructions" else ""),
        ("with_bugbear", "flake8 +bugbear (instructions)", ""),
    ):
        pct = f"{(counted['ratio'][name] - 1) * 100:+.2f}%"
        budget = leg["budget"] if name == "with_cel" else ""
        lines.append(
            f"{tier:<6} {text:<36} {c[name] / 1e9:>9.2f}G {c['without'] / 1e9:>9.2f}G "
            f"{pct:>22} {'':>9}  {budget:<22} {verdict}"
        )
    seeds = counted.get("seeds", [0])
    lines.append(
        f"{'':<6}   {counted['sample_files']} of the corpus files ({counted['sample_lines']:,} "
        f"lines) under {counted['tool']}, PYTHONHASHSEED {', '.join(map(str, seeds))}"
        + (
            f" (mean of the per-seed ratios; the baseline moves {spread:+.2f} % between seeds, "
            "and loading a plugin moves when the collector runs: read a few tenths of a percent "
            "either way as nothing)"
            if len(seeds) > 1 and (spread := counted.get("baseline_seed_spread_pct")) is not None
            else ""
        )
    )
    return lines


def noise_note(leg: dict[str, Any]) -> str | None:
    """A warning when the per-round wall ratios spread wider than the 1 % budget."""
    r = leg["ratio"]
    spread = (r["max"] - r["min"]) * 100
    if spread <= 1.0:
        return None
    judged = (
        "the instruction count below"
        if leg.get("judged_on") == "instructions"
        else ("nothing: without valgrind the verdict above is the wall ratio's")
    )
    return (
        f"{'':<6}   ! per-round wall ratios spread {spread:.1f} points, wider than the 1 % "
        f"budget: this machine's noise, not the plugin, decides a wall verdict; judged on "
        f"{judged}"
    )
