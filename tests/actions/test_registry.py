"""The table of forms (actions/forms/registry.py), domain.yml and the rules agree, and the
generated rules are what the table gives: adding a form is one table entry, its validation
class and its responses, then `python scripts/generate_rules.py`."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
import yaml

from actions.forms.registry import FORMS, FORMS_BY_NAME, TASK_FORMS

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "data" / "rules"


def generator():
    spec = importlib.util.spec_from_file_location("generate_rules", ROOT / "scripts" / "generate_rules.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rules(name: str) -> list[dict]:
    return yaml.safe_load((RULES / name).read_text(encoding="utf-8"))["rules"]


def test_the_generated_rules_are_what_the_table_gives() -> None:
    assert generator().main(["--check"]) == 0


def test_the_check_notices_a_hand_edit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = generator()
    edited = tmp_path / "forms.yml"
    edited.write_text((RULES / "forms.yml").read_text(encoding="utf-8").replace("utter_form_resumed", "utter_greet", 1),
                      encoding="utf-8")
    monkeypatch.setattr(module, "TARGET", edited)
    monkeypatch.setattr(module, "ROOT", tmp_path)
    assert module.main(["--check"]) == 1


def names(entries: list) -> set[str]:
    """Domain list entries are names, or one-key mappings of a name to its options."""
    return {entry if isinstance(entry, str) else next(iter(entry)) for entry in entries}


def test_the_table_and_the_domain_agree(domain: dict) -> None:
    assert [form.name for form in FORMS] == list(domain["forms"])
    actions, intents = (names(domain[key]) for key in ("actions", "intents"))
    responses = set(domain["responses"])
    for form in FORMS:
        assert set(form.starts) <= intents, form.name
        assert {form.done, form.before or form.done, form.answer_inside_forms or form.done} <= actions, form.name
        assert f"validate_{form.name}" in actions, form.name
        assert form.intro is None or form.intro in responses, form.name
        assert set(form.answered_by) <= set(TASK_FORMS), form.name
        # A question form is answered inside other forms; a task form asks to switch.
        assert form.task == (form.answer_inside_forms is None), form.name
    submissions = {form.submission for form in FORMS if form.submission}
    assert submissions == set(domain["slots"]["pending_submission"]["values"])


def test_every_form_has_its_rules_and_only_forms_yml_names_a_form() -> None:
    generated = rules("forms.yml")
    for form in FORMS:
        named = [rule for rule in generated if form.name in yaml.safe_dump(rule)]
        starts = [rule for rule in named if "condition" not in rule and {"action": form.name} in rule["steps"]]
        assert len(starts) == 1, form.name
        filled = [rule for rule in named if rule.get("condition") == [{"active_loop": form.name}]
                  and {"action": form.done} in rule["steps"] and rule["steps"][0] == {"action": form.name}]
        # A submission has two outcomes: it reached the backend, or it waits to be retried.
        assert len(filled) == (2 if form.submission else 1), form.name
        assert any(rule["steps"][0] == {"intent": "stop"} for rule in named), form.name
    for path in RULES.glob("*.yml"):
        if path.name != "forms.yml":
            text = path.read_text(encoding="utf-8")
            assert not {name for name in FORMS_BY_NAME if re.search(rf"\b{name}\b", text)}, path.name


def test_the_rules_stay_few() -> None:
    """Issue #15: at most 100 rules in at most 1,000 lines."""
    files = sorted(RULES.glob("*.yml"))
    assert sum(len(yaml.safe_load(p.read_text(encoding="utf-8"))["rules"]) for p in files) <= 100
    assert sum(len(p.read_text(encoding="utf-8").splitlines()) for p in files) <= 1000
