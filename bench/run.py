"""`make bench`'s assistant part: our Rasa stack against `rasa init`'s moodbot, trained in a
temporary folder in the same run, under the same load on the same machine.

    .venv-rasa/bin/python bench/run.py                      # 16 and 64 concurrent, 60 s each
    .venv-rasa/bin/python bench/run.py --duration 20 --warmup 5 --no-readme   # quick look
    .venv-rasa/bin/python bench/run.py --cluster-url http://127.0.0.1:8080     # also `make cluster`'s nginx

What it does: trains the moodbot (`rasa init --no-prompt`), starts our backend, action server
and Rasa as the browser tests do (tests/browser/servers.py) and the moodbot's `rasa run`, each on
a free loopback port; measures serial turns (fresh conversations, one at a time: FAQ and office
look-up for ours, "hi" for the moodbot); then for each concurrency a warm-up and a timed run of
bench/load.py against ours and then the moodbot, so both see the same machine within a minute of
each other; the resident memory of each Rasa process afterwards. Writes reports/bench.json and
the block between `<!-- bench:start -->` and `<!-- bench:end -->` in README.md.

Targets (issue #16): at 16 concurrent at least the moodbot's msg/s on one Rasa process, 1.4×
with `make cluster`; Rasa resident memory ≤ 800 MB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `python bench/run.py`
    sys.path.insert(0, str(REPO))

from bench import report  # noqa: E402
from bench.load import Step, loadavg, run_load  # noqa: E402
from bench.moodbot import start_moodbot, train_moodbot  # noqa: E402
from bench.stack import rss_mb, start_stack, trained_model  # noqa: E402

# Serial turns: each message the first of a fresh conversation, so every turn does the same work.
SERIAL = {
    "faq": tuple((Step("faq", text),) for text in ("领证要收费吗", "证书丢了怎么补办", "怎么验证证书真假", "依据是哪个文件")),
    "backend": tuple((Step("backend", text, must_contain="示例"),)
                     for text in ("杭州在哪里领证", "宁波的领证地址在哪", "温州领证点在哪里")),
    "greeting": ((Step("greeting", "hi"),), (Step("greeting", "hello"),)),
}


def _commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout.strip()
    dirty = " (with uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else ""
    return (git("rev-parse", "--short", "HEAD") or "unknown") + dirty


def _serial(url: str, kinds: list[str], count: int) -> dict:
    figures = {}
    for kind in kinds:
        run_load(url, SERIAL[kind], users=1, conversations=len(SERIAL[kind]), sender_prefix="warmup")
        figures[kind] = run_load(url, SERIAL[kind], users=1, conversations=count, sender_prefix="serial")
    return figures


def _loaded(url: str, script: str, users: int, args: argparse.Namespace) -> dict:
    if args.warmup > 0:
        run_load(url, script, users=users, duration=args.warmup, timeout=args.timeout, sender_prefix="warmup")
    figures = run_load(url, script, users=users, duration=args.duration, timeout=args.timeout)
    print(f"  {script:8} {users:3} concurrent: {figures['msg_per_s']:.1f} msg/s, p50 {figures['latency']['p50_ms']} ms,"
          f" p95 {figures['latency']['p95_ms']} ms, errors {figures['error_count']}, "
          f"load {figures['loadavg_after'][0]:.1f}", flush=True)
    return figures


def _too_many_errors(name: str, figures: dict, allowed_error_share: float) -> bool:
    """A run whose errors are more than a trace measures failures, not the assistant: said, and
    the run exits non-zero (the figures are still written, errors and all)."""
    sent = max(1, figures["messages_sent"])
    if figures["error_count"] / sent <= allowed_error_share:
        return False
    print(f"{name}: {figures['error_count']} errors in {sent} messages ({figures['errors']}; "
          f"e.g. {figures['error_examples']})", file=sys.stderr)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, nargs="+", default=[16, 64], help="concurrencies (default 16 64)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of each timed run (default 60)")
    parser.add_argument("--warmup", type=float, default=15.0, help="seconds of warm-up before each (default 15)")
    parser.add_argument("--serial", type=int, default=100, help="serial turns of each kind (default 100)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for one answer")
    parser.add_argument("--model", type=Path, help="our model (default the newest in models/)")
    parser.add_argument("--moodbot-model", type=Path,
                        help="a moodbot model `rasa init` made earlier (skips the training; for trying the runner)")
    parser.add_argument("--cluster-url", help="also load `make cluster`'s nginx (already running) with our script")
    parser.add_argument("--max-error-share", type=float, default=0.01,
                        help="fail when more than this share of messages errs (default 0.01)")
    parser.add_argument("--out", type=Path, default=REPO / "reports" / "bench.json")
    parser.add_argument("--readme", type=Path, default=REPO / "README.md")
    parser.add_argument("--no-readme", action="store_true", help="do not rewrite the README's bench block")
    args = parser.parse_args(argv)

    # Our Rasa loads its model while the moodbot trains, on 2 shared cores: 420 s (the browser
    # tests' bound) was too short under a load average of 10.
    os.environ.setdefault("RASA_START_SECONDS", "1200")
    model = args.model or trained_model()
    if model is None:
        print("no model in models/: run `make train` first", file=sys.stderr)
        return 1
    loadavg_start = loadavg()
    figures: dict = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "commit": _commit(),
        "cpus": os.cpu_count(), "model": model.name, "concurrency": args.users,
        "duration_seconds": args.duration, "warmup_seconds": args.warmup, "loadavg_start": loadavg_start,
    }
    with tempfile.TemporaryDirectory(prefix="bench-") as work_dir:
        work = Path(work_dir)
        # The moodbot trains while our Rasa loads its model: neither is measured, and the run is
        # shorter by the time of the shorter one.
        with ThreadPoolExecutor(max_workers=1) as pool:
            if args.moodbot_model:
                (work / "moodbot").mkdir()
                training = None
            else:
                print("training the moodbot (rasa init --no-prompt) while our stack starts ...", flush=True)
                training = pool.submit(train_moodbot, work / "moodbot")
            stack = start_stack(work / "ours", model=model)
            try:
                mood_model, train_seconds = (args.moodbot_model.resolve(), None) if training is None \
                    else training.result()
            except BaseException:
                stack.stop()
                raise
        if train_seconds is not None:
            print(f"  moodbot trained in {train_seconds:.0f} s", flush=True)
        moodbot = None
        try:
            moodbot = start_moodbot(work / "moodbot", mood_model)
            ours_url, mood_url = stack.rasa.url, moodbot.url
            ours = {"serial": _serial(ours_url, ["faq", "backend"], args.serial), "load": {}}
            mood = {"serial": _serial(mood_url, ["greeting"], args.serial), "load": {},
                    "train_seconds": train_seconds and round(train_seconds, 1)}
            print(f"serial p50: ours FAQ {ours['serial']['faq']['latency']['p50_ms']} ms, backend "
                  f"{ours['serial']['backend']['latency']['p50_ms']} ms; moodbot "
                  f"{mood['serial']['greeting']['latency']['p50_ms']} ms", flush=True)
            ours["mixed"] = {}
            for users in args.users:
                ours["load"][str(users)] = _loaded(ours_url, "ours", users, args)
                mood["load"][str(users)] = _loaded(mood_url, "moodbot", users, args)
                ours["mixed"][str(users)] = _loaded(ours_url, "ours_mixed", users, args)
            ours["rasa_rss_mb"] = round(rss_mb(stack.rasa.process.pid))
            ours["action_server_rss_mb"] = round(rss_mb(stack.actions.process.pid))
            mood["rasa_rss_mb"] = round(rss_mb(moodbot.process.pid))
        except BaseException:
            for server in (stack.rasa, stack.actions):
                print(f"----- {server.name} log -----\n{server.log_tail(2000)}", file=sys.stderr)
            raise
        finally:
            if moodbot is not None:
                moodbot.stop()
            stack.stop()
    figures["ours"], figures["moodbot"] = ours, mood
    figures["ratios"] = {key: round(ours["load"][key]["msg_per_s"] / mood["load"][key]["msg_per_s"], 2)
                         for key in ours["load"] if mood["load"][key]["msg_per_s"]}
    if args.cluster_url:
        cluster = {"url": args.cluster_url, "load": {str(u): _loaded(args.cluster_url, "ours", u, args)
                                                     for u in args.users}}
        figures["cluster"] = cluster
        if "16" in cluster["load"] and mood["load"].get("16", {}).get("msg_per_s"):
            figures["cluster_ratio_16"] = round(cluster["load"]["16"]["msg_per_s"] / mood["load"]["16"]["msg_per_s"], 2)
    figures["loadavg_end"] = loadavg()
    runs = [(f"{name} {key}", run) for name, side in (("ours", ours), ("moodbot", mood), ("cluster", figures.get("cluster")))
            if side for key, run in [*side.get("serial", {}).items(), *side["load"].items(),
                                     *((f"mixed {k}", r) for k, r in side.get("mixed", {}).items())]]
    failed = [name for name, run in runs if _too_many_errors(name, run, args.max_error_share)]

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    block = report.render(figures)
    print(block)
    print(f"figures written to {args.out}")
    if not args.no_readme:
        report.write_block(args.readme, block)
        print(f"README block rewritten in {args.readme}")
    return 1 if failed else 0



if __name__ == "__main__":
    sys.exit(main())
