"""Load generator for a Rasa server's REST webhook: N virtual users at once, each running a
script of conversations and waiting for each answer before sending its next message.

    .venv-rasa/bin/python bench/load.py --url http://127.0.0.1:5005 --script ours --users 16 --duration 60
    .venv-rasa/bin/python bench/load.py --url http://127.0.0.1:5006 --script moodbot --users 64 --conversations 640

Every conversation gets a fresh sender id (one sender per virtual user at a time, as Rasa's
load-testing guide advises), so the trackers stay short and each run of a script costs the
same. Errors are counted, not raised: an answer other than 200, an empty answer where the
script expects one, a missing expected phrase, a timeout, a refused connection. Figures:
msg/s, p50/p95/p99 per step kind and overall, errors by kind, /proc/loadavg before and after.
`--json` writes them to a file; `bench/run.py` imports `run_load` directly.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import sys
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import aiohttp


@dataclass(frozen=True)
class Step:
    kind: str
    text: str
    expects_answer: bool = True
    # A phrase the answer must contain: proves the turn did its real work (a form opened, the
    # backend answered), not just any reply such as the fallback.
    must_contain: str | None = None


Conversation = tuple[Step, ...]

# A demo holder (backend/app/demo.py, DEMO_PEOPLE["ready"]): present in every stack that
# tests/browser/servers.py starts. The ID number is sent, never printed.
_READY_HOLDER = ("陈小明", "330106199001010018")

SCRIPTS: dict[str, tuple[Conversation, ...]] = {
    # Issue #16's measure, the one the ratio against the moodbot is taken on: greeting, a
    # what-to-bring question that opens a form, thanks.
    "ours": (
        (Step("greeting", "你好"),
         Step("form", "领证要带什么材料", must_contain="怎么领取"),
         Step("thanks", "谢谢")),
    ),
    # FAQ turns and turns whose action calls the backend: an office look-up and a status look-up.
    "ours_mixed": (
        (Step("faq", "领证要收费吗"),
         Step("faq", "证书丢了怎么补办"),
         Step("faq", "怎么验证证书真假")),
        (Step("backend", "杭州在哪里领证", must_contain="示例"),
         Step("form", "我的证书到了吗", must_contain="姓名"),
         Step("form", _READY_HOLDER[0], must_contain="身份证号码"),
         Step("backend", _READY_HOLDER[1], must_contain="已可领取")),
    ),
    # `rasa init`'s moodbot: hi → sad or great → bye.
    "moodbot": (
        (Step("greeting", "hi"), Step("mood", "I am sad"), Step("bye", "bye")),
        (Step("greeting", "hello"), Step("mood", "I am great"), Step("bye", "goodbye")),
    ),
}


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (the smallest value with at least q of the values at or below it)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


def summarize(latencies_ms: list[float]) -> dict:
    values = sorted(latencies_ms)
    pick = lambda q: None if not values else round(percentile(values, q), 1)  # noqa: E731
    return {"messages": len(values), "p50_ms": pick(0.50), "p95_ms": pick(0.95), "p99_ms": pick(0.99),
            "max_ms": pick(1.0)}


def loadavg() -> list[float]:
    """The 1, 5 and 15-minute load averages: the figures mean little without them."""
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


class _Tally:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter[str] = Counter()
        self.error_examples: dict[str, str] = {}
        self.sent = 0
        self.conversations = 0

    def error(self, kind: str, step: Step, detail: str) -> None:
        self.errors[kind] += 1
        # The step's kind and a short detail, never the message text (it may be an ID number).
        self.error_examples.setdefault(kind, f"{step.kind}: {detail[:200]}")


async def _send(session: aiohttp.ClientSession, url: str, sender: str, step: Step, tally: _Tally,
                timeout: float) -> bool:
    """One message; True when the answer is what the step expects (the conversation goes on)."""
    started = time.perf_counter()
    tally.sent += 1
    try:
        async with session.post(url, json={"sender": sender, "message": step.text},
                                timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            body = await response.text()
            status = response.status
    except asyncio.TimeoutError:
        tally.error("timeout", step, f"no answer within {timeout:g} s")
        return False
    except aiohttp.ClientError as exc:
        tally.error("connection", step, type(exc).__name__)
        return False
    tally.latencies[step.kind].append((time.perf_counter() - started) * 1000)
    if status != 200:
        tally.error(f"http_{status}", step, body)
        return False
    try:
        answer = json.loads(body)
    except ValueError:
        tally.error("not_json", step, body)
        return False
    if step.expects_answer and not answer:
        tally.error("empty_answer", step, "no message in the answer")
        return False
    if step.must_contain and step.must_contain not in body and step.must_contain not in json.dumps(
            answer, ensure_ascii=False):
        tally.error("unexpected_answer", step, f"no {step.must_contain!r} in the answer")
        return False
    return True


async def _virtual_user(user: int, session: aiohttp.ClientSession, url: str,
                        conversations: tuple[Conversation, ...], tally: _Tally, *, deadline: float | None,
                        remaining: itertools.count | None, limit: int | None, timeout: float,
                        sender_prefix: str) -> None:
    for index, conversation in enumerate(itertools.cycle(conversations[user % len(conversations):]
                                                        + conversations[:user % len(conversations)])):
        if deadline is not None and time.monotonic() >= deadline:
            return
        if remaining is not None and next(remaining) >= (limit or 0):
            return
        sender = f"{sender_prefix}-{user}-{index}-{uuid.uuid4().hex[:8]}"
        for step in conversation:
            if deadline is not None and time.monotonic() >= deadline:
                return  # the time is up: no new message, even inside a conversation
            if not await _send(session, url, sender, step, tally, timeout):
                break  # the rest of this conversation would measure a derailed dialogue
        tally.conversations += 1


async def run_load_async(base_url: str, script: str | tuple[Conversation, ...], *, users: int,
                         duration: float | None = None, conversations: int | None = None,
                         timeout: float = 30.0, sender_prefix: str = "load") -> dict:
    """Run the load and return its figures. Bounded: by `duration` seconds (no message
    is sent after it; the messages in flight are waited for) or by a total of `conversations`
    (each played to its end)."""
    if (duration is None) == (conversations is None):
        raise ValueError("give exactly one of duration and conversations")
    script_conversations = SCRIPTS[script] if isinstance(script, str) else script
    url = base_url.rstrip("/") + "/webhooks/rest/webhook"
    tally = _Tally()
    load_before = loadavg()
    connector = aiohttp.TCPConnector(limit=users, force_close=False)
    started = time.monotonic()
    deadline = started + duration if duration is not None else None
    remaining = itertools.count() if conversations is not None else None
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(
            _virtual_user(user, session, url, script_conversations, tally, deadline=deadline,
                          remaining=remaining, limit=conversations, timeout=timeout,
                          sender_prefix=sender_prefix)
            for user in range(users)))
    elapsed = time.monotonic() - started
    all_latencies = [ms for values in tally.latencies.values() for ms in values]
    answered = len(all_latencies)
    return {
        "script": script if isinstance(script, str) else "custom",
        "users": users,
        "seconds": round(elapsed, 2),
        "messages_sent": tally.sent,
        "messages_answered": answered,
        "conversations": tally.conversations,  # played to their end (or to an error)
        "msg_per_s": round(answered / elapsed, 2) if elapsed > 0 else None,
        "latency": summarize(all_latencies),
        "by_step": {kind: summarize(values) for kind, values in sorted(tally.latencies.items())},
        "errors": dict(sorted(tally.errors.items())),
        "error_count": sum(tally.errors.values()),
        "error_examples": tally.error_examples,
        "loadavg_before": load_before,
        "loadavg_after": loadavg(),
    }


def run_load(base_url: str, script: str | tuple[Conversation, ...], **kwargs) -> dict:
    return asyncio.run(run_load_async(base_url, script, **kwargs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="the Rasa server, e.g. http://127.0.0.1:5005")
    parser.add_argument("--script", choices=sorted(SCRIPTS), default="ours")
    parser.add_argument("--users", type=int, default=16, help="virtual users at once (default 16)")
    bound = parser.add_mutually_exclusive_group()
    bound.add_argument("--duration", type=float, help="seconds of load (default 60)")
    bound.add_argument("--conversations", type=int, help="total conversations instead of a duration")
    parser.add_argument("--warmup", type=float, default=0.0, help="seconds of the same load first, not counted")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for one answer")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.duration is None and args.conversations is None:
        args.duration = 60.0
    if args.warmup > 0:
        run_load(args.url, args.script, users=args.users, duration=args.warmup, timeout=args.timeout,
                 sender_prefix="warmup")
    figures = run_load(args.url, args.script, users=args.users, duration=args.duration,
                       conversations=args.conversations, timeout=args.timeout)
    text = json.dumps(figures, indent=2, ensure_ascii=False)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n", encoding="utf-8")
    return 1 if figures["messages_answered"] == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
