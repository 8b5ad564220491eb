import datetime as dt

import pytest

from app.rules.working_days import WorkCalendar

D = dt.date.fromisoformat


@pytest.mark.parametrize(("start", "days", "due"), [
    ("2026-09-30", 10, "2026-10-20"),  # National Day week and the 调休 Saturday 2026-10-10
    ("2026-02-10", 10, "2026-03-02"),  # Spring Festival with its 调休 Sundays
    ("2026-04-30", 10, "2026-05-18"),  # Labour Day and the 调休 Saturday 2026-05-09
    ("2026-09-30", 5, "2026-10-13"),   # delivery after a decision
    ("2026-01-20", 30, "2026-03-09"),  # 全国统考 blanks arrived
])
def test_domain_examples_hold(start, days, due):
    result = WorkCalendar().add_working_days(D(start), days)
    assert result.due == D(due)
    assert result.estimated is False


def test_start_day_is_not_counted_even_when_it_is_a_working_day():
    # Monday 2026-03-02 is a working day; one working day "from" it is Tuesday.
    assert WorkCalendar().add_working_days(D("2026-03-02"), 1).due == D("2026-03-03")


def test_adjusted_working_weekend_counts():
    cal = WorkCalendar()
    assert cal.is_workday(D("2026-10-10"))  # Saturday, 调休
    assert not cal.is_workday(D("2026-10-05"))  # Monday in the National Day holiday


def test_unknown_year_uses_weekends_and_is_flagged():
    result = WorkCalendar().add_working_days(D("2027-03-01"), 5)
    assert result.due == D("2027-03-08")
    assert result.estimated is True


def test_span_into_unknown_year_is_flagged():
    result = WorkCalendar().add_working_days(D("2026-12-24"), 10)
    assert result.estimated is True
    assert result.due == D("2027-01-07")


def test_overrides_make_a_year_known():
    overrides = {D("2027-01-01"): False, D("2027-01-04"): False, D("2027-01-09"): True}
    cal = WorkCalendar(lambda year: overrides if year == 2027 else None)
    result = cal.add_working_days(D("2026-12-31"), 3)
    # 2027-01-01 holiday, 01-02/03 weekend, 01-04 holiday; 01-05, 01-06, 01-07
    assert result.due == D("2027-01-07")
    assert result.estimated is False
    assert cal.is_workday(D("2027-01-09"))  # a 调休 Saturday from the overrides


@pytest.mark.parametrize("days", [0, -1, 401])
def test_period_bounds(days):
    with pytest.raises(ValueError):
        WorkCalendar().add_working_days(D("2026-01-05"), days)


def test_due_endpoint_contract(client):
    response = client.get("/api/v1/working-days/due", params={"start": "2026-09-30", "days": 10})
    assert response.status_code == 200
    assert response.json() == {"start": "2026-09-30", "days": 10, "due": "2026-10-20", "estimated": False}


@pytest.mark.parametrize("params", [{"start": "2026-13-01", "days": 10}, {"start": "2026-09-30", "days": 0},
                                    {"start": "2026-09-30"}, {"start": "x", "days": "y"}])
def test_due_endpoint_rejects_bad_input(client, params):
    response = client.get("/api/v1/working-days/due", params=params)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"
    assert response.json()["message"]


HOLIDAYS_2027 = {
    "year": 2027, "source": "测试用安排（非真实公告）",
    "days": [
        {"date": "2027-01-01", "type": "holiday", "name": "元旦"},
        {"date": "2027-01-04", "type": "holiday", "name": "测试假日"},
        {"date": "2027-01-09", "type": "workday", "name": "测试调休"},
    ],
}


def test_staff_loaded_overrides_change_the_answer(client, staff):
    before = client.get("/api/v1/working-days/due", params={"start": "2026-12-31", "days": 3}).json()
    assert before["estimated"] is True
    assert client.put("/api/v1/staff/holidays/2027", json=HOLIDAYS_2027, headers=staff).status_code == 200
    after = client.get("/api/v1/working-days/due", params={"start": "2026-12-31", "days": 3}).json()
    assert after == {"start": "2026-12-31", "days": 3, "due": "2027-01-07", "estimated": False}
    overview = client.get("/api/v1/holidays/2027").json()
    assert overview["known"] is True and len(overview["days"]) == 3
    check = client.get("/api/v1/working-days/check", params={"date": "2027-01-09"}).json()
    assert check == {"date": "2027-01-09", "workday": True, "estimated": False}


def test_reloading_a_year_replaces_it(client, staff):
    client.put("/api/v1/staff/holidays/2027", json=HOLIDAYS_2027, headers=staff)
    smaller = {**HOLIDAYS_2027, "days": HOLIDAYS_2027["days"][:1]}
    assert client.put("/api/v1/staff/holidays/2027", json=smaller, headers=staff).status_code == 200
    assert len(client.get("/api/v1/holidays/2027").json()["days"]) == 1


@pytest.mark.parametrize("body", [
    {**HOLIDAYS_2027, "days": [{"date": "2028-01-01", "type": "holiday", "name": "x"}]},
    {**HOLIDAYS_2027, "days": [{"date": "2027-01-01", "type": "day-off", "name": "x"}]},
    {**HOLIDAYS_2027, "days": HOLIDAYS_2027["days"] + HOLIDAYS_2027["days"][:1]},
    {"year": 2027, "days": []},
])
def test_bad_holiday_file_is_rejected_and_changes_nothing(client, staff, body):
    response = client.put("/api/v1/staff/holidays/2027", json=body, headers=staff)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_holiday_file"
    assert client.get("/api/v1/holidays/2027").json()["known"] is False


def test_a_file_for_another_year_names_both_years(client, staff):
    response = client.put("/api/v1/staff/holidays/2028", json=HOLIDAYS_2027, headers=staff)
    assert response.status_code == 422 and response.json()["code"] == "invalid_holiday_file"
    assert "2027" in response.json()["message"] and "2028" in response.json()["message"]
    assert client.get("/api/v1/holidays/2028").json()["known"] is False


def test_a_date_twice_is_named(client, staff):
    body = {**HOLIDAYS_2027, "days": HOLIDAYS_2027["days"] + [{"date": "2027-01-04", "type": "workday", "name": "x"}]}
    response = client.put("/api/v1/staff/holidays/2027", json=body, headers=staff)
    assert response.json()["details"] == {"dates": ["2027-01-04"]} and "重复" in response.json()["message"]


def test_holiday_year_mismatch_and_token(client, staff):
    assert client.put("/api/v1/staff/holidays/2028", json=HOLIDAYS_2027, headers=staff).status_code == 422
    assert client.put("/api/v1/staff/holidays/2027", json=HOLIDAYS_2027).status_code == 401
