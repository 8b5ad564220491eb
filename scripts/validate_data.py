"""`rasa data validate`, strict: fails on an error and on every warning except the one Rasa
cannot avoid — a response that no story or rule names because something else utters it: a
custom action or a channel (it must then really be named in actions/ or bot/), a form asking for a slot
(`utter_ask_<slot>`, `utter_ask_<form>_<slot>`), or the default fallback (`utter_default`).
Also fails when data/rules/forms.yml is not what the table of forms gives (scripts/generate_rules.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
UNUSED = re.compile(r"UserWarning: The utterance '(utter_\w+)' is not used in any story or rule")
RASA_WARNING = re.compile(r"(rasa/[\w/]+\.py:\d+: UserWarning: .*)")


def main() -> int:
    generated = subprocess.run([sys.executable, str(ROOT / "scripts" / "generate_rules.py"), "--check"], cwd=ROOT,
                               capture_output=True, text=True)
    if generated.returncode != 0:
        print(generated.stdout + generated.stderr)
        return 1
    rasa = Path(sys.executable).parent / "rasa"  # the rasa of the environment running this script
    run = subprocess.run([str(rasa), "data", "validate"], cwd=ROOT, capture_output=True, text=True)
    output = run.stdout + run.stderr
    if run.returncode != 0:
        print(output)
        print(f"rasa data validate failed (exit {run.returncode})")
        return 1
    action_code = "\n".join(p.read_text() for folder in ("actions", "bot") for p in (ROOT / folder).rglob("*.py"))
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    asked = {"utter_default"} | {f"utter_ask_{slot}" for slot in domain.get("slots", {})}
    for form, spec in (domain.get("forms") or {}).items():
        asked |= {f"utter_ask_{form}_{slot}" for slot in (spec or {}).get("required_slots", [])}
    problems = []
    for warning in RASA_WARNING.findall(output):
        unused = UNUSED.search(warning)
        if unused and (unused.group(1) in asked
                       or re.search(rf"[\"']{unused.group(1)}[\"']", action_code)):
            continue
        if re.search(r"intent '(EXTERNAL_\w+)' is listed in the domain file, but is not found in the NLU", warning):
            continue  # triggered through the HTTP API, never predicted by the NLU
        problems.append(warning)
    for problem in problems:
        print(problem)
    print(f"rasa data validate: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
