"""The one table of the dialogue's forms: what starts each, what it is called, what runs
when it is filled. `scripts/generate_rules.py` writes the per-form rules from it
(data/rules/forms.yml); the actions read it for switching and resuming; a test proves that
the table, domain.yml and the rules agree (tests/actions/test_registry.py).

Adding a form: one `Form` entry here, its validation class (actions/forms/), its slots,
responses and `forms:` entry in domain.yml, then `python scripts/generate_rules.py`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Form:
    name: str
    # What the switch question calls the form's task ("要先停下来，改为…吗？").
    label: str
    # Intents that start the form when no form is active. A *task* form's intent inside
    # another form asks whether to switch; a *question* form's intents inside another form
    # are answered there at once by `answer_inside_forms`.
    starts: tuple[str, ...]
    # Runs once the form is filled.
    done: str
    task: bool = True
    # Said before the first question, when the form starts or is switched to.
    intro: str | None = None
    # Runs before the form starts (a fresh status check forgets an earlier holder).
    before: str | None = None
    # Inside task forms, the question form's intents are answered by this action (inside
    # another question form they start this one instead: DROPS_QUESTION).
    answer_inside_forms: str | None = None
    # Task intents that answer this form's question instead of leaving it.
    answered_by: tuple[str, ...] = ()
    # `pending_submission` value while a confirmed submission has not reached the backend.
    submission: str | None = None


FORMS: tuple[Form, ...] = (
    Form("status_form", "查询领证进度", ("check_status",), "action_check_status", before="action_forget_old_identity"),
    Form("subscribe_form", "登记领证通知提醒", ("subscribe_notice",), "action_subscribe"),
    Form("mail_form", "办理邮寄申请", ("request_mail",), "action_submit_mail", intro="utter_mail_intro",
         submission="mail"),
    Form("proxy_form", "办理委托代领", ("request_proxy",), "action_submit_proxy", intro="utter_proxy_intro",
         submission="proxy"),
    Form("organization_form", "办理单位领取", ("ask_organization_pickup",), "action_submit_organization",
         intro="utter_organization_intro", submission="organization"),
    Form("office_form", "查询领证地点", ("ask_location", "ask_office_hours"), "action_office_info", task=False,
         answer_inside_forms="action_office_info"),
    Form("materials_form", "查询领证材料", ("ask_materials",), "action_tell_materials", task=False,
         answer_inside_forms="action_tell_materials", answered_by=("request_proxy", "ask_organization_pickup")),
)
FORMS_BY_NAME = {form.name: form for form in FORMS}

# The task intents and the form each one starts. Inside another form a task intent asks
# whether to leave that form for the new task (`switches_task`); inside the form of its own
# task the form goes on.
TASK_FORMS = {intent: form.name for form in FORMS if form.task for intent in form.starts}
# What the switch question calls each form's task ({current_task}, {new_task}).
TASK_LABELS = {form.name: form.label for form in FORMS}
# Said before the wanted form's first question, as when its task starts.
TASK_INTROS = {form.name: form.intro for form in FORMS if form.intro}
# Task intents that answer a form's question instead of leaving it.
ANSWERING_TASKS = {form.name: frozenset(form.answered_by) for form in FORMS if form.answered_by}

# Questions answered the same way inside and outside forms by one rule each
# (data/rules/answers.yml): inside a form Rasa's RulePolicy runs the form again after a
# general rule's answer, so the form asks its pending question again.
ANSWERED_ANYWHERE = frozenset({
    "ask_pickup_notice", "ask_fee", "ask_verify", "ask_lost", "ask_e_certificate", "ask_correction",
    "ask_legal_basis", "ask_deadline", "bot_challenge", "out_of_scope", "human_handoff",
})
# What drops a question form (materials' pickup method, the office's city) instead of leaving
# its question pending after every later answer (issue #17): every question answered
# anywhere, a person asked for included, except "你是机器人吗", which asks about the
# conversation rather than about something else. Another question form's intent starts that
# form in its place (its start rule); a task's intent asks to switch, as in a task form.
DROPS_QUESTION = ANSWERED_ANYWHERE - {"bot_challenge"}
PUSHED = frozenset({"EXTERNAL_pickup_notice", "EXTERNAL_application_update"})
# Intents that leave a form's question (answered mid-form, a pushed message, or stop): a
# message with one of them fills no slot from its text, unless the classifier was unsure
# and the text is a valid answer.
INTERRUPTING_INTENTS = frozenset(
    ANSWERED_ANYWHERE | PUSHED | {"stop"}
    | {intent for form in FORMS if form.answer_inside_forms for intent in form.starts})


def switches_task(intent: str | None, form: str | None) -> bool:
    """True when `intent` inside `form` asks for another task than the form's own."""
    if intent not in TASK_FORMS or not form:
        return False
    return TASK_FORMS[intent] != form and intent not in ANSWERING_TASKS.get(form, frozenset())
