"""The README's figures block of `make bench`: rendered from reports/bench.json and written
between its two markers, leaving every other byte of the README as it was."""

from __future__ import annotations

from pathlib import Path

START = "<!-- bench:start -->"
END = "<!-- bench:end -->"

# Issue #16's targets, measured on one Rasa process.
RSS_TARGET_MB = 800


class BlockMissing(RuntimeError):
    pass


def replace_block(readme: str, block: str) -> str:
    """The README with the text between the markers replaced by `block` (markers kept)."""
    if readme.count(START) != 1 or readme.count(END) != 1:
        raise BlockMissing(f"README needs exactly one {START} and one {END}")
    if readme.index(END) < readme.index(START):
        raise BlockMissing(f"{END} comes before {START}")
    head, rest = readme.split(START)
    _, tail = rest.split(END)
    return f"{head}{START}\n{block.strip()}\n{END}{tail}"


def write_block(readme_path: Path, block: str) -> None:
    readme_path.write_text(replace_block(readme_path.read_text(encoding="utf-8"), block), encoding="utf-8")


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def _load_row(name: str, run: dict) -> str:
    lat = run["latency"]
    errors = run["error_count"]
    error_text = "0" if not errors else f"**{errors}** ({', '.join(f'{k} {v}' for k, v in run['errors'].items())})"
    return (f"| {name} | {run['users']} | {run['msg_per_s']:.1f} | {_ms(lat['p50_ms'])} / {_ms(lat['p95_ms'])} / "
            f"{_ms(lat['p99_ms'])} | {run['messages_answered']:,} in {run['seconds']:.0f} s | {error_text} | "
            f"{run['loadavg_before'][0]:.1f} → {run['loadavg_after'][0]:.1f} |")


def _verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def render(figures: dict) -> str:
    """Markdown for the README: the load table, the ratios against the targets, serial turns, memory."""
    ours, mood = figures["ours"], figures.get("moodbot")
    lines = [
        f"### Our assistant against `rasa init`'s moodbot (`make bench`, {figures['date']})",
        "",
        f"Written by `make bench` (`bench/run.py`) at commit {figures['commit']}; full figures in "
        f"`reports/bench.json`. Both Rasa servers on this {figures['cpus']}-core machine, measured one after "
        f"the other (warm-up {figures['warmup_seconds']:.0f} s, then {figures['duration_seconds']:.0f} s each); "
        f"load average over the run {figures['loadavg_start'][0]:.1f} → {figures['loadavg_end'][0]:.1f}"
        + (f" ({figures['other_load_note']})" if figures.get("other_load_note") else "") + ". "
        "One sender per conversation; ours: greeting → what-to-bring question that opens a form → thanks "
        "(the issue's measure, the one the ratio is taken on); ours, mixed: FAQ turns, an office look-up and a "
        "status look-up through the backend; moodbot: hi → sad/great → bye.",
        "",
        "| server | concurrent | msg/s | p50 / p95 / p99 ms | answered | errors | load average |",
        "|---|---|---|---|---|---|---|",
    ]
    for users in figures["concurrency"]:
        key = str(users)
        lines.append(_load_row("ours", ours["load"][key]))
        if mood:
            lines.append(_load_row("moodbot", mood["load"][key]))
        if key in ours.get("mixed", {}):
            lines.append(_load_row("ours, mixed", ours["mixed"][key]))
        if figures.get("cluster"):
            lines.append(_load_row("ours, `make cluster`", figures["cluster"]["load"][key]))
    lines += ["", "| what | figure | target |", "|---|---|---|"]
    if mood:
        for users in figures["concurrency"]:
            ratio = figures["ratios"][str(users)]
            target = "≥ 1.0 (one Rasa process)" if users == 16 else ""
            verdict = f": {_verdict(ratio >= 1.0)}" if users == 16 else ""
            lines.append(f"| ours ÷ moodbot, msg/s at {users} concurrent | **{ratio:.2f}** "
                         f"({ours['load'][str(users)]['msg_per_s']:.1f} ÷ {mood['load'][str(users)]['msg_per_s']:.1f}) "
                         f"| {target}{verdict} |")
        if figures.get("cluster_ratio_16") is not None:
            ratio = figures["cluster_ratio_16"]
            lines.append(f"| `make cluster` ÷ moodbot, msg/s at 16 concurrent | **{ratio:.2f}** | ≥ 1.4: "
                         f"{_verdict(ratio >= 1.4)} |")
        serial_ours, serial_mood = ours["serial"]["faq"]["latency"], mood["serial"]["greeting"]["latency"]
        lines.append(f"| serial turn p50 (ours: FAQ; moodbot: hi) | {_ms(serial_ours['p50_ms'])} ms against "
                     f"{_ms(serial_mood['p50_ms'])} ms (p95 {_ms(serial_ours['p95_ms'])} / "
                     f"{_ms(serial_mood['p95_ms'])}) | |")
    backend = ours["serial"]["backend"]["latency"]
    lines.append(f"| serial turn that calls the backend (office look-up) | p50 {_ms(backend['p50_ms'])} ms, "
                 f"p95 {_ms(backend['p95_ms'])} ms | |")
    rss = ours["rasa_rss_mb"]
    lines.append(f"| Rasa resident memory after the load (ours) | **{rss:,.0f} MB**"
                 + (f"; moodbot {mood['rasa_rss_mb']:,.0f} MB" if mood else "")
                 + f"; our action server {ours['action_server_rss_mb']:,.0f} MB | ≤ {RSS_TARGET_MB} MB: "
                 f"{_verdict(rss <= RSS_TARGET_MB)} |")
    if mood and mood.get("train_seconds") is not None:
        lines.append(f"| moodbot trained in the run (`rasa init --no-prompt`) | {mood['train_seconds']:.0f} s | |")
    return "\n".join(lines)
