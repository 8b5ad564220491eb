"""The last day to collect, one reading everywhere: 10 working days after the notice; for
全国统考, 30 working days after the blank certificates arrived, whether or not the notice is out."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from app.rules.deadlines import pickup_deadline, working_days_left
from app.rules.working_days import WorkCalendar
from tests.factories import list_group, offices_loaded, people, publish_batches

D = dt.date.fromisoformat


def _batch(exam_type="local", blanks=None):
    return SimpleNamespace(exam_type=exam_type, blanks_arrived_on=D(blanks) if blanks else None)


@pytest.mark.parametrize(("published", "last"), [
    ("2026-09-30", "2026-10-20"), ("2026-02-10", "2026-03-02"), ("2026-04-30", "2026-05-18")])
def test_a_local_certificate_counts_from_its_notice(published, last):
    deadline = pickup_deadline(_batch(), D(published), WorkCalendar())
    assert (deadline.date, deadline.rule, deadline.counted_from, deadline.estimated) == (
        D(last), "notice", D(published), False)


@pytest.mark.parametrize("published", [None, "2026-01-21", "2026-09-30"])
def test_a_national_exam_certificate_counts_from_the_blanks_notice_or_not(published):
    deadline = pickup_deadline(_batch("national", "2026-01-20"), D(published) if published else None, WorkCalendar())
    assert (deadline.date, deadline.rule, deadline.counted_from) == (D("2026-03-09"), "national_exam", D("2026-01-20"))


def test_unknown_until_it_can_be_known():
    assert pickup_deadline(_batch(), None, WorkCalendar()) is None  # local, no notice yet
    assert pickup_deadline(_batch("national"), D("2026-09-30"), WorkCalendar()) is None  # no blanks date
    late = pickup_deadline(_batch(), D("2026-12-24"), WorkCalendar())
    assert late.estimated is True and late.public(D("2026-12-25"))["passed"] is False


def _status(client, cert):
    response = client.post("/api/v1/status", json={"name": cert.holder_name, "id_number": cert.id_number})
    assert response.status_code == 200, response.text
    return response.json()["certificates"][0]


@pytest.fixture
def mixed_notice(client, staff, session):
    """One notice for a local batch and a 全国统考 batch whose blanks arrived on 2026-08-20."""
    offices_loaded(client, staff)
    [local] = list_group(session, batch_no="330100202603015", occupation="中式烹调师", level="四级",
                         holders=people(1))
    [national] = list_group(session, batch_no="QG-2026-0820", occupation="电工", level="三级", holders=people(1),
                            exam_type="national", blanks_arrived_on=D("2026-08-20"))
    before = _status(client, national)
    notice = publish_batches(client, staff, ["330100202603015", "QG-2026-0820"])
    return local, national, before, notice


def test_status_and_notice_give_each_certificate_its_own_last_day(client, mixed_notice):
    local, national, before, notice = mixed_notice
    national_deadline = {"date": "2026-10-08", "estimated": False, "passed": False, "rule": "national_exam",
                         "counted_from": "2026-08-20"}
    # Before its notice the 全国统考 certificate already has its last day; after it, the same one.
    # Today (2026-09-30) is the eve of the National Day week: only 10-08 is left before it ends.
    assert before["state"] == "pending" and before["deadline"] == {**national_deadline, "working_days_left": 1}
    after = _status(client, national)
    assert after["state"] == "ready" and after["deadline"] == {**national_deadline, "working_days_left": 1}
    assert after["notice"] == {"id": notice["id"], "published_on": "2026-09-30"}
    assert _status(client, local)["deadline"] == {"date": "2026-10-20", "estimated": False, "passed": False,
                                                  "rule": "notice", "counted_from": "2026-09-30",
                                                  "working_days_left": 10}
    by_batch = {b["batch_no"]: b["deadline"] for b in client.get(f"/api/v1/notices/{notice['id']}").json()["batches"]}
    assert by_batch == {"QG-2026-0820": national_deadline, "330100202603015": {
        "date": "2026-10-20", "estimated": False, "passed": False, "rule": "notice", "counted_from": "2026-09-30"}}
    assert notice["warnings"] == []
    for old in ("expected_ready",):
        assert old not in after
    assert "deadline" not in after["notice"] and "deadline" not in notice


def test_a_local_certificate_before_its_notice_has_no_last_day(client, staff, session):
    offices_loaded(client, staff)
    [cert] = list_group(session, batch_no="26A0315", occupation="美容师", level="五级", holders=people(1))
    assert _status(client, cert)["deadline"] is None


def test_a_passed_last_day_is_said(client, staff, session, settings, engine):
    from tests.conftest import make_client

    offices_loaded(client, staff)
    [cert] = list_group(session, batch_no="ZJ2026/015", occupation="茶艺师", level="三级", holders=people(1))
    publish_batches(client, staff, ["ZJ2026/015"], published_on="2026-09-30")
    with make_client(settings, engine, today=D("2026-10-21")) as later:
        assert _status(later, cert)["deadline"]["passed"] is True
        assert _status(later, cert)["deadline"]["working_days_left"] is None
    with make_client(settings, engine, today=D("2026-10-20")) as last_day:
        assert _status(last_day, cert)["deadline"]["passed"] is False
        assert _status(last_day, cert)["deadline"]["working_days_left"] == 0


# Published on the eve of the National Day week (2026-10-01..07 off, Saturday 10-10 worked):
# the last day is 2026-10-20 and the days left count neither the holiday nor the weekends.
@pytest.mark.parametrize(("today", "left"), [
    ("2026-09-30", 10), ("2026-10-03", 10), ("2026-10-07", 10), ("2026-10-08", 9), ("2026-10-09", 8),
    ("2026-10-10", 7), ("2026-10-11", 7), ("2026-10-16", 2), ("2026-10-19", 1), ("2026-10-20", 0),
    ("2026-10-21", None)])
def test_working_days_left_skip_the_holiday_week_and_count_the_last_day(today, left):
    deadline = pickup_deadline(_batch(), D("2026-09-30"), WorkCalendar())
    assert deadline.date == D("2026-10-20")
    assert working_days_left(deadline, D(today), WorkCalendar()) == left


def test_working_days_left_in_the_status_answer_through_the_holiday_week(client, staff, session, settings,
                                                                          engine):
    from tests.conftest import make_client

    offices_loaded(client, staff)
    [cert] = list_group(session, batch_no="330100202603022", occupation="育婴员", level="四级", holders=people(1))
    publish_batches(client, staff, ["330100202603022"], published_on="2026-09-30")
    for today, left in (("2026-10-05", 10), ("2026-10-10", 7), ("2026-10-19", 1)):
        with make_client(settings, engine, today=D(today)) as then:
            deadline = _status(then, cert)["deadline"]
            assert (deadline["working_days_left"], deadline["estimated"], deadline["passed"]) == (left, False, False)


def test_working_days_left_is_estimated_when_the_deadline_is(client, staff, session, settings, engine):
    from tests.conftest import make_client

    offices_loaded(client, staff)
    [cert] = list_group(session, batch_no="330100202612024", occupation="保育师", level="五级", holders=people(1))
    publish_batches(client, staff, ["330100202612024"], published_on="2026-12-24")
    with make_client(settings, engine, today=D("2026-12-31")) as then:
        deadline = _status(then, cert)["deadline"]
    # 2027's calendar is not known yet: weekdays only, flagged as the date is.
    assert deadline["estimated"] is True
    assert deadline["working_days_left"] == len(
        [d for d in range(1, (D(deadline["date"]) - D("2026-12-31")).days + 1)
         if (D("2026-12-31") + dt.timedelta(days=d)).weekday() < 5])


def test_publishing_a_national_batch_whose_thirty_days_ended_warns(client, staff, session):
    offices_loaded(client, staff)
    list_group(session, batch_no="QG-2026-0810", occupation="焊工", level="四级", holders=people(2),
               exam_type="national", blanks_arrived_on=D("2026-08-10"))
    list_group(session, batch_no="QG-2026-0810", occupation="焊工", level="三级", holders=people(1),
               exam_type="national", blanks_arrived_on=D("2026-08-10"))
    notice = publish_batches(client, staff, ["QG-2026-0810"])
    assert notice["certificates"] == 3  # published all the same
    assert [(w["code"], w["level"], w["deadline"]["date"]) for w in notice["warnings"]] == [
        ("national_exam_window_ended", "四级", "2026-09-20"), ("national_exam_window_ended", "三级", "2026-09-20")]
    assert "2026年9月20日" in notice["warnings"][0]["message"]
    assert all(b["deadline"]["passed"] for b in notice["batches"])


def test_a_national_batch_still_open_is_published_without_warning(client, staff, session):
    offices_loaded(client, staff)
    list_group(session, batch_no="QG-2026-0901", occupation="焊工", level="四级", holders=people(1),
               exam_type="national", blanks_arrived_on=D("2026-09-01"))
    assert publish_batches(client, staff, ["QG-2026-0901"])["warnings"] == []
