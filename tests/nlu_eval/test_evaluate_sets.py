"""The evaluation report counts what it says: a fallback turns an applicant away but is
undone for accuracy (as `rasa test nlu` does), out_of_scope lines in the colloquial set are
not in-domain, and the turned-away target is the baseline plus one point."""

from __future__ import annotations

import pytest

# beside this file: pytest puts the test's folder on the path
from evaluate_sets import against_targets, colloquial_figures, other_services_figures


def said(acted: str, intent: str | None = None, confidence: float = 0.95) -> dict:
    return {"acted": acted, "intent": intent or acted, "confidence": confidence}


def test_fallback_is_undone_for_accuracy_but_turns_an_applicant_away() -> None:
    gold = ["ask_fee", "ask_fee", "request_mail", "out_of_scope"]
    predicted = [said("ask_fee"), said("nlu_fallback", "ask_fee", 0.3), said("out_of_scope"),
                 said("out_of_scope")]
    figures = colloquial_figures(gold, predicted)
    assert figures["accuracy"] == 0.75
    assert figures["accuracy_with_fallback"] == 0.5
    assert (figures["in_domain"], figures["in_domain_turned_away"]) == (3, 2)
    assert figures["in_domain_turned_away_by"] == {"nlu_fallback": 1, "out_of_scope": 1}
    assert figures["per_intent"]["ask_fee"]["recall"] == 1.0
    assert figures["confusions"] == [("request_mail -> out_of_scope", 1)]


def test_other_services_recall_with_and_without_the_fallback() -> None:
    predicted = [said("out_of_scope"), said("nlu_fallback", "out_of_scope", 0.35),
                 said("nlu_fallback", "ask_lost", 0.3), said("ask_lost", confidence=0.99)]
    figures = other_services_figures(predicted)
    assert figures["accuracy"] == 0.5
    assert figures["out_of_scope_recall"] == 0.25
    assert figures["turned_away_rate"] == 0.75
    assert figures["answered_as"] == [("ask_lost", 1)]
    assert figures["answered_with_confidence_0_9_or_more"] == 1


@pytest.mark.parametrize(("rate", "met"), [(0.035, True), (0.036, False)])
def test_turned_away_target_is_the_baseline_plus_one_point(rate: float, met: bool) -> None:
    summary = {"colloquial": {"accuracy": 0.9, "per_intent": {}, "in_domain_turned_away_rate": rate},
               "other_services": {"accuracy": 0.9, "out_of_scope_recall": 0.9, "turned_away_rate": 0.9}}
    baseline = {"colloquial": {"in_domain_turned_away_rate": 0.025}}
    assert against_targets(summary, baseline)["colloquial_in_domain_turned_away"] is met
    assert against_targets(summary, None)["colloquial_in_domain_turned_away"] is None
