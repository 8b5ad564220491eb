"""An organisation's 联系单 read one way: the dry run `POST /applications/check` and the
application itself. Batch numbers in every province's style; holders born 1950-1980.
Today is 2026-09-30 (conftest); a notice published that day runs to 2026-10-20."""

from __future__ import annotations

import datetime as dt

import pytest
from pickup_rules.testing import BATCH_NUMBER_STYLES, make_id
from sqlalchemy import func, select

from app.models import Application, Certificate
from tests.factories import list_group, offices_loaded, people, publish_batches

ZHEJIANG = "浙鉴2026第15批"
CHECK = "/api/v1/applications/check"


def _check(client, **body):
    response = client.post(CHECK, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def _errors(answer):
    return {e["field"]: e for e in answer["errors"]}


@pytest.fixture
def zhejiang_batch(client, staff, session):
    """浙鉴2026第15批: 电工 四级 (3) and 三级 (2), 焊工 四级 (2), published today."""
    offices_loaded(client, staff)
    list_group(session, batch_no=ZHEJIANG, occupation="电工", level="四级", holders=people(3))
    list_group(session, batch_no=ZHEJIANG, occupation="电工", level="三级", holders=people(2))
    list_group(session, batch_no=ZHEJIANG, occupation="焊工", level="四级", holders=people(2))
    publish_batches(client, staff, [ZHEJIANG])
    return ZHEJIANG


def test_every_batch_number_style_is_found_as_typed(client, staff, session):
    offices_loaded(client, staff)
    for style in BATCH_NUMBER_STYLES:
        list_group(session, batch_no=style, occupation="育婴员", level="四级", holders=people(1))
    publish_batches(client, staff, list(BATCH_NUMBER_STYLES))
    for style in BATCH_NUMBER_STYLES:
        wide = style.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})  # typed full-width
        for typed in (style, style.lower(), f" {wide} ", f"我们批次是{style}", f"鉴定批次号：{style}，请查一下"):
            answer = _check(client, batch_no=typed)
            assert answer["batch_no"] == style, (typed, answer)
            assert answer["errors"] == []
            assert [(g["occupation"], g["level"], g["ready"]) for g in answer["groups"]] == [("育婴员", "四级", 1)]
    long_sentence = ("您好，我们单位是一家做家政服务的公司，今年组织了一批员工参加育婴员考试，"
                     f"鉴定批次号是{BATCH_NUMBER_STYLES[3]}，想问一下什么时候可以去领证")
    assert len(long_sentence) > 40
    assert _check(client, batch_no=long_sentence)["batch_no"] == BATCH_NUMBER_STYLES[3]


def test_the_longest_published_batch_number_in_the_text_wins(client, staff, session):
    offices_loaded(client, staff)
    list_group(session, batch_no="JD2026", occupation="电工", level="四级", holders=people(1))
    list_group(session, batch_no="JD20260101", occupation="焊工", level="三级", holders=people(1))
    publish_batches(client, staff, ["JD2026", "JD20260101"])
    assert _check(client, batch_no="批次JD20260101")["batch_no"] == "JD20260101"
    assert _check(client, batch_no="JD2026")["batch_no"] == "JD2026"


def test_a_batch_without_a_notice_is_not_published(client, staff, session, zhejiang_batch):
    list_group(session, batch_no="杭人社鉴〔2026〕3号", occupation="电工", level="四级", holders=people(2))
    for typed in ("杭人社鉴〔2026〕3号", "浙鉴2026第16批", "！！！"):
        answer = _check(client, batch_no=typed, occupation="电工", level="四级")
        assert answer["batch_no"] is None and answer["groups"] == []
        [error] = answer["errors"]
        assert error["field"] == "batch_no" and error["code"] == "batch_not_published"
        assert "批次" in error["message"]
        assert answer["level"] == "四级"  # what could be read is still read


def test_occupation_exact_contained_or_refused_with_the_options(client, zhejiang_batch):
    assert _check(client, batch_no=zhejiang_batch, occupation=" 电 工 ")["occupation"] == "电工"
    assert _check(client, batch_no=zhejiang_batch, occupation="我们是焊工")["occupation"] == "焊工"
    answer = _check(client, batch_no=zhejiang_batch, occupation="茶艺师")
    assert answer["occupation"] is None
    error = _errors(answer)["occupation"]
    assert error["code"] == "occupation_not_in_batch" and error["details"]["options"] == ["焊工", "电工"]
    assert "焊工" in error["message"] and "电工" in error["message"]
    # Both named: which one is meant is not for the backend to guess.
    both = _check(client, batch_no=zhejiang_batch, occupation="电工和焊工")
    assert _errors(both)["occupation"]["code"] == "occupation_not_in_batch"


def test_an_occupation_inside_a_longer_one_is_not_a_second_match(client, staff, session):
    offices_loaded(client, staff)
    list_group(session, batch_no="GZ-2026-Q3-07", occupation="维修电工", level="四级", holders=people(1))
    list_group(session, batch_no="GZ-2026-Q3-07", occupation="电工", level="四级", holders=people(1))
    publish_batches(client, staff, ["GZ-2026-Q3-07"])
    assert _check(client, batch_no="GZ-2026-Q3-07", occupation="维修电工")["occupation"] == "维修电工"
    assert _check(client, batch_no="GZ-2026-Q3-07", occupation="报的是维修电工")["occupation"] == "维修电工"
    assert _check(client, batch_no="GZ-2026-Q3-07", occupation="电工")["occupation"] == "电工"


@pytest.mark.parametrize(("typed", "level"), [("四级（中级工）", "四级"), ("中级", "四级"), ("4", "四级"),
                                              ("国家职业资格三级", "三级"), ("高级工", "三级")])
def test_levels_as_written(client, zhejiang_batch, typed, level):
    answer = _check(client, batch_no=zhejiang_batch, occupation="电工", level=typed)
    assert answer["level"] == level and answer["errors"] == []


def test_a_level_the_batch_does_not_have(client, zhejiang_batch):
    answer = _check(client, batch_no=zhejiang_batch, occupation="焊工", level="三级")
    error = _errors(answer)["level"]
    assert error["code"] == "level_not_in_batch" and error["details"] == {"options": ["四级"]}
    bad = _check(client, batch_no=zhejiang_batch, occupation="焊工", level="九级")
    assert _errors(bad)["level"]["code"] == "invalid_level" and bad["level"] is None
    # Without the occupation, the batch's levels are the options.
    answer = _check(client, batch_no=zhejiang_batch, level="一级")
    assert _errors(answer)["level"]["details"] == {"options": ["四级", "三级"]}


def test_headcount_against_the_certificates_still_collectable(client, staff, session, zhejiang_batch):
    assert _check(client, batch_no=zhejiang_batch, occupation="电工", level="四级", headcount=3)["errors"] == []
    answer = _check(client, batch_no=zhejiang_batch, occupation="电工", level="四级", headcount=4)
    error = _errors(answer)["headcount"]
    assert error["code"] == "headcount_exceeds_list" and error["details"] == {"ready": 3}
    # One of them applied to have it mailed: the organisation cannot collect that one.
    cert = session.scalar(select(Certificate).where(Certificate.occupation == "电工", Certificate.level == "四级"))
    mailed = client.post("/api/v1/applications", headers={"Idempotency-Key": "mail-from-group"}, json={
        "kind": "mail", "name": cert.holder_name, "id_number": cert.id_number, "phone": "13800138000",
        "address": "浙江省杭州市西湖区文三路100号3幢201室"})
    assert mailed.status_code == 201, mailed.text
    answer = _check(client, batch_no=zhejiang_batch, occupation="电工", level="四级", headcount=3)
    assert _errors(answer)["headcount"]["details"] == {"ready": 2}
    groups = {(g["occupation"], g["level"]): g["ready"] for g in answer["groups"]}
    assert groups == {("电工", "四级"): 2, ("电工", "三级"): 2, ("焊工", "四级"): 2}


def test_the_visit_window_runs_from_the_notice_to_the_groups_last_day(client, zhejiang_batch):
    answer = _check(client, batch_no=zhejiang_batch, occupation="电工", level="四级")
    assert answer["visit_window"] == {"first": "2026-09-30", "last": "2026-10-20", "estimated": False}
    assert all(g["deadline"] == "2026-10-20" and g["deadline_estimated"] is False for g in answer["groups"])
    ok = ("2026-09-30", "2026-10-09", "2026-10-10", "2026-10-20")  # 10-10 is the 调休 Saturday
    for day in ok:
        assert _check(client, batch_no=zhejiang_batch, occupation="电工", level="四级", visit_date=day)["errors"] == []
    holiday = _errors(_check(client, batch_no=zhejiang_batch, occupation="电工", level="四级",
                             visit_date="2026-10-03"))["visit_date"]
    assert holiday["code"] == "visit_date_not_working_day" and holiday["details"]["date"] == "2026-10-03"
    assert "2026年10月3日" in holiday["message"]
    for day in ("2026-10-21", "2026-09-29", "2025-12-01"):
        late = _errors(_check(client, batch_no=zhejiang_batch, occupation="电工", level="四级",
                              visit_date=day))["visit_date"]
        assert late["code"] == "visit_date_outside_window"
        assert (late["details"]["first"], late["details"]["last"]) == ("2026-09-30", "2026-10-20")


def test_the_window_does_not_open_before_the_notice(client, staff, session):
    offices_loaded(client, staff)
    list_group(session, batch_no="2026-33-0015", occupation="保育员", level="五级", holders=people(2))
    publish_batches(client, staff, ["2026-33-0015"], published_on="2026-10-09")
    answer = _check(client, batch_no="2026-33-0015", occupation="保育员", level="五级", visit_date="2026-09-30")
    assert answer["visit_window"] == {"first": "2026-10-09", "last": "2026-10-22", "estimated": False}
    assert _errors(answer)["visit_date"]["code"] == "visit_date_outside_window"


def test_a_national_exam_group_counts_from_the_blanks(client, staff, session):
    offices_loaded(client, staff)
    list_group(session, batch_no="QG2026(08)", occupation="电工", level="三级", holders=people(2),
               exam_type="national", blanks_arrived_on=dt.date(2026, 8, 20))
    publish_batches(client, staff, ["QG2026(08)"])
    due = client.get("/api/v1/working-days/due", params={"start": "2026-08-20", "days": 30}).json()["due"]
    assert due == "2026-10-08"
    answer = _check(client, batch_no="QG2026(08)", occupation="电工", level="三级", visit_date="2026-10-12")
    assert answer["groups"][0]["deadline"] == due
    assert answer["visit_window"] == {"first": "2026-09-30", "last": due, "estimated": False}
    assert _errors(answer)["visit_date"]["code"] == "visit_date_outside_window"


def test_a_closed_window_is_said_even_before_a_date_is_given(client, staff, session):
    offices_loaded(client, staff)
    list_group(session, batch_no="QG2026(07)", occupation="焊工", level="四级", holders=people(1),
               exam_type="national", blanks_arrived_on=dt.date(2026, 8, 10))
    publish_batches(client, staff, ["QG2026(07)"])
    answer = _check(client, batch_no="QG2026(07)", occupation="焊工", level="四级")
    assert answer["visit_window"] is None
    error = _errors(answer)["visit_date"]
    assert error["code"] == "pickup_window_closed" and error["details"]["last"] == "2026-09-20"


def test_an_empty_check_and_bad_values(client):
    assert _check(client) == {"batch_no": None, "occupation": None, "level": None, "groups": [],
                              "visit_window": None, "errors": []}
    assert _check(client, level="高级技师")["level"] == "一级"
    past = _errors(_check(client, visit_date="2026-09-01"))["visit_date"]
    assert past["code"] == "visit_date_outside_window" and past["details"]["first"] == "2026-09-30"
    weekend = _errors(_check(client, visit_date="2026-10-17"))["visit_date"]
    assert weekend["code"] == "visit_date_not_working_day"
    for body, field in (({"headcount": 0}, "headcount"), ({"visit_date": "10月9日"}, "visit_date"),
                        ({"batch_no": "x" * 101}, "batch_no")):
        response = client.post(CHECK, json=body)
        assert response.status_code == 422 and response.json()["code"] == "invalid_request"
        assert response.json()["details"]["field"] == field


def test_the_check_is_documented(client):
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/applications/check"]["post"]
    assert "batch_not_published" in operation["description"]
    assert "OrganizationCheckRequest" in str(operation["requestBody"])
    assert "OrganizationCheckAnswer" in str(operation["responses"]["200"])


# -- the application itself is refused the same way -----------------------------------

def _organization(batch_no, **extra):
    collector = people(1)[0]
    body = {"kind": "organization", "organization_name": "示例家政服务有限公司", "batch_no": batch_no,
            "occupation": "电工", "level": "四级", "headcount": 2, "collector_name": collector[0],
            "collector_id_number": collector[1], "visit_date": "2026-10-12"}
    return {**body, **extra}


def _apply(client, body, key):
    return client.post("/api/v1/applications", json=body, headers={"Idempotency-Key": key})


@pytest.mark.parametrize(("extra", "status", "code", "field", "reason"), [
    ({"batch_no": "浙鉴2026第99批"}, 422, "not_on_list", "batch_no", "batch_not_published"),
    ({"occupation": "茶艺师"}, 422, "not_on_list", "occupation", "occupation_not_in_batch"),
    ({"level": "二级"}, 422, "not_on_list", "level", "level_not_in_batch"),
    ({"level": "特级"}, 422, "invalid_level", "level", None),
    ({"headcount": 9}, 422, "headcount_exceeds_list", "headcount", None),
    ({"visit_date": "2026-10-04"}, 422, "visit_date_not_working_day", "visit_date", None),
    ({"visit_date": "2026-10-21"}, 422, "visit_date_outside_window", "visit_date", None),
    ({"collector_id_number": make_id("339999", dt.date(1970, 1, 1), 1)}, 422, "invalid_id_number",
     "collector_id_number", None),
])
def test_an_organisation_application_is_refused_naming_the_field(client, session, zhejiang_batch, extra, status,
                                                                  code, field, reason):
    response = _apply(client, {**_organization(zhejiang_batch), **extra}, key="org-refused-1")
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code and body["details"]["field"] == field
    assert body["details"].get("reason", None) == reason or code == "invalid_id_number"
    assert session.scalar(select(func.count()).select_from(Application)) == 0


def test_the_first_problem_in_form_order_refuses_the_application(client, zhejiang_batch):
    response = _apply(client, _organization(zhejiang_batch, occupation="茶艺师", headcount=99,
                                            visit_date="2026-10-04"), key="org-first-1")
    assert response.json()["details"]["field"] == "occupation"
    check = _check(client, batch_no=zhejiang_batch, occupation="茶艺师", headcount=99, visit_date="2026-10-04")
    assert [e["field"] for e in check["errors"]] == ["occupation", "visit_date"]  # no group: no headcount check


def test_an_organisation_applies_with_the_batch_number_as_typed(client, zhejiang_batch):
    response = _apply(client, _organization(f"我们的批次是{zhejiang_batch}", occupation="电 工", level="中级工",
                                            visit_date="2026-10-10"), key="org-typed-1")
    assert response.status_code == 201, response.text
    form = client.get(response.json()["contact_form_path"]).text
    assert zhejiang_batch in form and "我们的批次是" not in form and "四级" in form


def test_a_list_imported_through_the_api_is_found_by_the_check(client, staff):
    """The whole path: import (as the list endpoint takes it today), notice, check, application."""
    from tests.factories import certificate_number
    from tests.utils import import_rows

    offices_loaded(client, staff)
    rows = [(name, id_number, certificate_number(), "养老护理员", "四级", "gz-2026-q3-07")
            for name, id_number in people(4)]
    assert import_rows(client, staff, rows).status_code == 201
    publish_batches(client, staff, ["GZ-2026-Q3-07"])
    answer = _check(client, batch_no="广州的批次 GZ-2026-Q3-07", occupation="养老护理员", level="中级工", headcount=4)
    assert (answer["batch_no"], answer["level"], answer["errors"]) == ("GZ-2026-Q3-07", "四级", [])
    assert answer["groups"] == [{"occupation": "养老护理员", "level": "四级", "ready": 4, "deadline": "2026-10-20",
                                 "deadline_estimated": False}]
    body = {**_organization("GZ-2026-Q3-07"), "occupation": "养老护理员", "headcount": 4}
    assert _apply(client, body, key="org-imported-1").status_code == 201
