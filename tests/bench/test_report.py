"""bench/report.py: the README block is replaced and nothing else, and the table says what the
figures say (ratios, targets met or missed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import report
from bench.report import END, START

README = f"""# Title

## Figures

Some text with `make bench` in it.

{START}
old table | 1 |
{END}

### Earlier figures
| a | b |
"""


def test_only_the_block_changes():
    new = report.replace_block(README, "| new | 2 |\n")
    assert new == README.replace("old table | 1 |", "| new | 2 |")
    before, after = README.split(START)[0], README.split(END)[1]
    assert new.startswith(before + START) and new.endswith(END + after)
    # Idempotent: writing the same block again changes nothing.
    assert report.replace_block(new, "| new | 2 |") == new


def test_the_real_readme_has_one_block_and_keeps_the_rest():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    new = report.replace_block(readme, "BLOCK")
    assert new.split(START)[0] == readme.split(START)[0]
    assert new.split(END)[1] == readme.split(END)[1]
    assert f"{START}\nBLOCK\n{END}" in new


@pytest.mark.parametrize("broken", [
    "no markers at all",
    f"{START}\nonly the start",
    f"{END}\n{START}\nin the wrong order",
    f"{START}\n{START}\ntwice\n{END}",
])
def test_a_readme_without_a_proper_block_is_refused(broken, tmp_path):
    with pytest.raises(report.BlockMissing):
        report.replace_block(broken, "x")
    path = tmp_path / "README.md"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(report.BlockMissing):
        report.write_block(path, "x")
    assert path.read_text(encoding="utf-8") == broken


def _run(users: int, msg_per_s: float, errors: dict | None = None) -> dict:
    errors = errors or {}
    return {"users": users, "msg_per_s": msg_per_s, "seconds": 60.0, "messages_answered": int(msg_per_s * 60),
            "messages_sent": int(msg_per_s * 60), "errors": errors, "error_count": sum(errors.values()),
            "latency": {"messages": 10, "p50_ms": 800.0, "p95_ms": 1500.0, "p99_ms": 2100.0, "max_ms": 2500.0},
            "loadavg_before": [2.0, 1.0, 1.0], "loadavg_after": [2.5, 1.0, 1.0]}


def _figures(ours_16: float, rss: float) -> dict:
    serial = {"latency": {"p50_ms": 34.0, "p95_ms": 50.0, "p99_ms": 60.0}}
    return {
        "date": "2026-12-07 17:00 UTC", "commit": "abc1234", "cpus": 2, "concurrency": [16, 64],
        "duration_seconds": 60, "warmup_seconds": 15, "loadavg_start": [2.0, 1, 1], "loadavg_end": [3.0, 1, 1],
        "ours": {"serial": {"faq": serial, "backend": serial}, "rasa_rss_mb": rss, "action_server_rss_mb": 116,
                 "load": {"16": _run(16, ours_16), "64": _run(64, 17.0, {"timeout": 3})}},
        "moodbot": {"serial": {"greeting": serial}, "rasa_rss_mb": 500, "train_seconds": 70,
                    "load": {"16": _run(16, 35.5), "64": _run(64, 34.0)}},
        "ratios": {"16": round(ours_16 / 35.5, 2), "64": 0.5},
    }


def test_render_states_the_ratio_and_the_targets():
    text = report.render(_figures(ours_16=17.9, rss=1442))
    assert "| ours ÷ moodbot, msg/s at 16 concurrent | **0.50** (17.9 ÷ 35.5) | ≥ 1.0 (one Rasa process): **missed** |" in text
    assert "**1,442 MB**" in text and "≤ 800 MB: **missed**" in text
    assert "**3** (timeout 3)" in text  # errors are shown, not hidden
    assert "abc1234" in text and "2.0 → 3.0" in text
    met = report.render(_figures(ours_16=40.0, rss=700))
    assert "**1.13** (40.0 ÷ 35.5) | ≥ 1.0 (one Rasa process): met |" in met
    assert "≤ 800 MB: met" in met
