"""What each part of a turn costs inside one Rasa process (docs/per-turn-cost.md).

Loads a trained model in this process with the project's tracker store and event broker
(temporary SQLite files) and the real action server and backend (tests/browser/servers.py),
plays realistic conversations (greeting, questions, form answers with people from
`pickup_rules.testing`, thanks: not the evaluation sets) and times every graph node, the
tracker store, the event broker, the lock store and the action server calls.

    .venv-rasa/bin/python scripts/per_turn_cost.py [--model models/x.tar.gz] [--rounds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import resource
import secrets
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "browser"))

from pickup_rules.masking import mask_for_log  # noqa: E402
from pickup_rules.testing import BATCH_NUMBER_STYLES, older_holders, realistic_names  # noqa: E402

ANSWER_SLOTS = ("person_name", "id_number", "phone", "address", "pickup_method", "city", "organization_name",
                "batch_no", "occupation", "level", "requested_slot")
TIMES: dict[str, list[float]] = collections.defaultdict(list)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def conversations() -> list[list[str]]:
    """Conversations as applicants hold them: greeting, a task or question, answers, thanks."""
    people = older_holders(12, seed=1958)
    talks = []
    for i, (name, id_number) in enumerate(people):
        talks += [
            ["你好", "领证要带什么", "本人去领", "谢谢"],
            ["在吗", "我想查一下我的证书出来没有", name, id_number, "好的谢谢"],
            ["您好", "杭州在哪里领证", "几点上班", "谢谢啦"],
            ["领证要收费吗", "证书丢了怎么补办", "好的"],
            ["我想让别人帮我代领", "要带啥材料", "拜拜"],
            [f"我叫{name}，身份证{id_number}，查下证", "谢谢"],
            ["证书能寄到家吗", name, id_number, "138" + f"{i:08d}", "算了不寄了", "谢谢"],
            ["单位统一领证怎么办", "浙江某某建设有限公司", BATCH_NUMBER_STYLES[i % len(BATCH_NUMBER_STYLES)],
             "不办了", "谢谢"],
        ]
    return talks


def form_answers() -> list[list[str]]:
    """A dev set of form answers and one-message requests (what the entities must fill), written
    for this measurement; people from `pickup_rules.testing`."""
    people = older_holders(10, seed=1972)
    names = realistic_names()[::23]
    addresses = ["杭州市拱墅区莫干山路100号3幢2单元501室", "浙江省宁波市鄞州区天童南路588号",
                 "温州市鹿城区车站大道1号", "寄到绍兴市越城区人民中路360号", "金华市婺城区八一南街99号2楼"]
    talks = []
    for i, (name, id_number) in enumerate(people):
        other = names[i % len(names)]
        talks += [
            ["查一下我的证", name, id_number],
            [f"我叫{name}，身份证号{id_number}，帮我查下证书"],
            [f"{name} {id_number} 查证书"],
            [f"帮我查查{other}的证书到了没，身份证{id_number}"],
            ["证书寄到家里", other, id_number, "139" + f"{i:08d}", addresses[i % len(addresses)]],
            [f"证书能寄到{addresses[(i + 1) % len(addresses)]}吗"],
            ["领证要带什么", ["本人", "自己去", "找人代领", "单位统一领", "我让我老婆去拿"][i % 5]],
            [["代领要带什么东西", "我自己去领要带啥", "单位来领要准备什么", "帮我妈领证要啥材料",
              "我本人去拿需要带什么"][i % 5]],
            ["单位统一领证怎么办", "浙江某某建设有限公司", BATCH_NUMBER_STYLES[i % len(BATCH_NUMBER_STYLES)],
             ["电工", "焊工", "育婴员", "中式烹调师", "保育员"][i % 5], ["四级", "高级工", "三级", "中级", "五级/初级工"][i % 5]],
            [["四级电工证在哪领", "我的高级焊工证什么时候能拿", "宁波三级育婴员证在哪领"][i % 3]],
            [["宁波哪里领证", "我在温州，去哪领", "海宁的证去哪拿", "在杭州领证地址", "丽水领证点"][i % 5]],
        ]
    return talks


def timed(owner: object, attribute: str, label: str) -> None:
    original = getattr(owner, attribute)
    if asyncio.iscoroutinefunction(original):
        async def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                TIMES[label].append(time.perf_counter() - started)
    else:
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                TIMES[label].append(time.perf_counter() - started)
    setattr(owner, attribute, wrapper)


def instrument() -> None:
    from rasa.core.actions.action import RemoteAction
    from rasa.core.lock_store import InMemoryLockStore
    from rasa.engine.graph import GraphNode

    from bot.event_broker import MaskingSQLEventBroker
    from bot.tracker_store import EncryptedSQLTrackerStore

    node_call = GraphNode.__call__

    def call(self, *inputs):
        started = time.perf_counter()
        try:
            return node_call(self, *inputs)
        finally:
            TIMES[f"node {self._node_name}"].append(time.perf_counter() - started)

    GraphNode.__call__ = call
    timed(EncryptedSQLTrackerStore, "save", "tracker store save")
    timed(EncryptedSQLTrackerStore, "_retrieve", "tracker store retrieve")
    timed(MaskingSQLEventBroker, "publish", "event broker publish (one event)")
    timed(InMemoryLockStore, "get_lock", "lock store get")
    timed(InMemoryLockStore, "save_lock", "lock store save")
    timed(RemoteAction, "run", "action server call")


async def play(model: Path, actions_url: str, work: Path, rounds: int) -> dict:
    from rasa.core.agent import load_agent
    from rasa.core.utils import AvailableEndpoints

    from servers import endpoints_for

    before = rss_mb()
    started = time.perf_counter()
    # files of its own beside the stack's (the stack's Rasa has another tracker store key)
    (work / "in-process").mkdir()
    endpoints = AvailableEndpoints.read_endpoints(
        str(endpoints_for(actions_url, work / "in-process" / "endpoints.yml")))
    agent = await load_agent(str(model), endpoints=endpoints)
    load_seconds = time.perf_counter() - started
    loaded = rss_mb()
    talks = conversations()
    # warm-up: the first turns load lazily
    for text in talks[0]:
        await agent.handle_text(text, sender_id="warm-up")
    TIMES.clear()
    turns = 0
    started = time.perf_counter()
    for round_ in range(rounds):
        for n, talk in enumerate(talks):
            sender = f"cost-{round_}-{n}-{secrets.token_hex(3)}"
            for text in talk:
                t0 = time.perf_counter()
                await agent.handle_text(text, sender_id=sender)
                TIMES["whole turn"].append(time.perf_counter() - t0)
                turns += 1
    elapsed = time.perf_counter() - started
    filled = []
    for n, talk in enumerate(form_answers()):
        sender = f"answers-{n}-{secrets.token_hex(3)}"
        for text in talk:
            await agent.handle_text(text, sender_id=sender)
        tracker = await agent.tracker_store.retrieve(sender)
        entities = sorted({(e["entity"], e["value"]) for e in tracker.latest_message.entities})
        slots = {k: v for k, v in tracker.current_slot_values().items() if k in ANSWER_SLOTS and v is not None}
        filled.append({"talk": talk, "last_entities": entities, "slots": slots})
    return {"filled": filled, "turns": turns, "seconds": elapsed, "load_seconds": load_seconds, "rss_before_mb": before,
            "rss_loaded_mb": loaded, "rss_after_mb": rss_mb(),
            "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--slots-out", type=Path, default=None,
                        help="JSON file for the slots the dev set of form answers filled")
    args = parser.parse_args()
    from servers import start_stack, trained_model

    model = args.model or trained_model()
    os.environ.setdefault("TRACKER_STORE_KEY", secrets.token_urlsafe(32))
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    imported_before = set(sys.modules)
    import logging

    from rasa.utils.log_utils import configure_structlog

    # as `rasa run` logs by default (unconfigured, structlog prints every debug line)
    configure_structlog(logging.INFO)
    logging.basicConfig(level=logging.WARNING)
    instrument()
    with tempfile.TemporaryDirectory(prefix="per-turn-cost-") as work:
        stack = start_stack(Path(work), model=model)
        try:
            figures = asyncio.run(play(model, stack.actions.url, Path(work), args.rounds))
        finally:
            stack.stop()
    turns = figures["turns"]
    print(f"model {model.name}: {turns} turns in {figures['seconds']:.1f} s "
          f"({figures['seconds'] / turns * 1000:.1f} ms/turn); model load {figures['load_seconds']:.1f} s; "
          f"RSS {figures['rss_before_mb']:.0f} MB before load, {figures['rss_loaded_mb']:.0f} MB loaded, "
          f"{figures['rss_after_mb']:.0f} MB after the turns; loadavg {os.getloadavg()}")
    print(f"tensorflow imported: {'tensorflow' in sys.modules} "
          f"(before the model: {'tensorflow' in imported_before})")
    if args.slots_out:
        # ID numbers and phones masked: the file is read by people comparing two models
        args.slots_out.write_text(mask_for_log(json.dumps(figures["filled"], ensure_ascii=False, indent=1)),
                                  encoding="utf-8")
    print(f"{'part':58s} {'calls/turn':>10s} {'ms/call':>8s} {'ms/turn':>8s}")
    for label, values in sorted(TIMES.items(), key=lambda item: -sum(item[1])):
        total_ms = sum(values) * 1000
        print(f"{label:58s} {len(values) / turns:10.2f} {total_ms / len(values):8.2f} {total_ms / turns:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
