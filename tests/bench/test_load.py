"""bench/load.py against a tiny Rasa-like REST webhook on loopback whose answers the test
chooses: the counts, the error kinds and the percentiles must come out as the server made them."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest
from aiohttp import web

from bench import load
from bench.load import Step

SLOW_SECONDS = 0.12
SENDERS = web.AppKey("senders", set)


async def _webhook(request: web.Request) -> web.StreamResponse:
    payload = await request.json()
    text, sender = payload["message"], payload["sender"]
    request.app[SENDERS].add(sender)
    if text == "slow":
        await asyncio.sleep(SLOW_SECONDS)
    elif text == "hang":
        await asyncio.sleep(3)
    if text == "fail":
        return web.Response(status=500, text="boom")
    if text == "empty":
        return web.json_response([])
    answer = "别的回答" if text == "wrong" else f"好的：{text}"
    return web.json_response([{"recipient_id": sender, "text": answer}])


@pytest.fixture
async def webhook_server():
    app = web.Application()
    app[SENDERS] = set()
    app.router.add_post("/webhooks/rest/webhook", _webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001
    yield f"http://127.0.0.1:{port}", app
    await runner.cleanup()


def test_nearest_rank_percentiles():
    values = [float(v) for v in range(1, 101)]
    assert load.percentile(values, 0.50) == 50
    assert load.percentile(values, 0.95) == 95
    assert load.percentile(values, 0.99) == 99
    assert load.percentile(values, 1.0) == 100
    assert load.percentile([7.0], 0.99) == 7
    assert load.percentile([], 0.5) is None
    assert load.summarize([30.0, 10.0, 20.0]) == {"messages": 3, "p50_ms": 20.0, "p95_ms": 30.0,
                                                    "p99_ms": 30.0, "max_ms": 30.0}


async def test_counts_messages_conversations_and_per_step_latency(webhook_server):
    url, app = webhook_server
    script = ((Step("fast", "ok"), Step("slow", "slow")),)
    figures = await load.run_load_async(url, script, users=4, conversations=10, timeout=5)

    assert figures["conversations"] == 10
    assert figures["messages_sent"] == figures["messages_answered"] == 20
    assert figures["error_count"] == 0 and figures["errors"] == {}
    assert figures["by_step"]["fast"]["messages"] == figures["by_step"]["slow"]["messages"] == 10
    assert figures["by_step"]["slow"]["p50_ms"] >= SLOW_SECONDS * 1000
    assert figures["by_step"]["fast"]["p50_ms"] < figures["by_step"]["slow"]["p50_ms"]
    assert figures["latency"]["messages"] == 20
    # Four users at once, two messages each of which waits 0.12 s: about 2.5 waits, not 10.
    assert figures["seconds"] < 10 * SLOW_SECONDS
    assert figures["msg_per_s"] == pytest.approx(20 / figures["seconds"], rel=0.02)
    assert len(app[SENDERS]) == 10  # a fresh sender for every conversation
    assert len(figures["loadavg_before"]) == len(figures["loadavg_after"]) == 3


async def test_errors_are_counted_by_kind_and_end_the_conversation(webhook_server):
    url, _ = webhook_server
    script = (
        (Step("a", "fail"), Step("after", "ok")),
        (Step("b", "empty"), Step("after", "ok")),
        (Step("c", "wrong", must_contain="好的"), Step("after", "ok")),
        (Step("d", "hang"), Step("after", "ok")),
        (Step("e", "empty", expects_answer=False), Step("after", "ok")),
    )
    figures = await load.run_load_async(url, script, users=5, conversations=5, timeout=0.5)

    assert figures["errors"] == {"http_500": 1, "empty_answer": 1, "unexpected_answer": 1, "timeout": 1}
    assert figures["error_count"] == 4
    # Only the conversation whose empty answer was allowed went on to its second step.
    assert figures["by_step"]["after"]["messages"] == 1
    assert figures["messages_sent"] == 6 and figures["messages_answered"] == 5  # the timeout has no latency
    assert "hang" not in json.dumps(figures["error_examples"])  # message texts are never reported


async def test_refused_connection_is_an_error_not_a_crash():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    figures = await load.run_load_async(f"http://127.0.0.1:{port}", "moodbot", users=2, conversations=2, timeout=2)
    assert figures["errors"] == {"connection": 2}
    assert figures["messages_answered"] == 0 and figures["msg_per_s"] == 0


async def test_duration_bounds_the_run(webhook_server):
    url, _ = webhook_server
    figures = await load.run_load_async(url, ((Step("slow", "slow"),),), users=3, duration=0.5, timeout=5)
    assert 0.5 <= figures["seconds"] < 0.5 + 3 * SLOW_SECONDS
    assert figures["conversations"] == figures["messages_answered"] >= 3 * 3


async def test_duration_stops_inside_a_long_conversation(webhook_server):
    url, _ = webhook_server
    long_conversation = (tuple(Step("slow", "slow") for _ in range(20)),)  # 2.4 s if played to its end
    figures = await load.run_load_async(url, long_conversation, users=2, duration=0.4, timeout=5)
    assert figures["seconds"] < 0.4 + 2 * SLOW_SECONDS
    assert figures["conversations"] == 0 and figures["error_count"] == 0
    assert 2 * 3 <= figures["messages_answered"] <= 2 * 5


def test_command_line_writes_the_figures(tmp_path, capsys):
    out = tmp_path / "figures.json"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code = load.main(["--url", f"http://127.0.0.1:{port}", "--script", "moodbot", "--users", "1",
                      "--conversations", "1", "--json", str(out)])
    assert code == 1  # nothing answered
    assert json.loads(out.read_text())["errors"] == {"connection": 1}
    with pytest.raises(ValueError):
        load.run_load("http://127.0.0.1:1", "moodbot", users=1)
