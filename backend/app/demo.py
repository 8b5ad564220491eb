"""Fictional demo data (offices marked 示例, a few hundred invented holders), loaded through
the same services staff use, so the demo obeys every rule the backend enforces."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

from sqlalchemy.orm import Session
from pickup_rules.identity import with_check_digit

from app.core.clock import china_today
from app.models import Office
from app.schemas import CollectionRequest, MailApplication, NoticeRequest, OfficeRecord, ProxyApplication, Transition
from app.services.applications import create_application, move
from app.services.calendar import calendar_for
from app.services.collections import record_collection
from app.services.lists import HEADER, import_list
from app.services.notices import publish
from app.services.offices import upsert_offices

# (city, area code of its demo district, telephone area code)
CITIES = [
    ("杭州", "330106", "0571"), ("宁波", "330203", "0574"), ("温州", "330302", "0577"),
    ("嘉兴", "330402", "0573"), ("湖州", "330502", "0572"), ("绍兴", "330602", "0575"),
    ("金华", "330702", "0579"), ("衢州", "330802", "0570"), ("舟山", "330902", "0580"),
    ("台州", "331002", "0576"), ("丽水", "331102", "0578"),
]
OCCUPATIONS = ["电工", "焊工", "育婴员", "保育员", "中式烹调师", "美容师", "汽车维修工", "茶艺师", "养老护理员", "钳工"]
LEVELS = ["五级", "四级", "三级", "二级"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊洋艳勇军杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力鹏飞晓宇浩然欣怡梓涵子轩雨"

# Fixed demo people, named in the README so anyone can try every status.
DEMO_PEOPLE = {
    "ready": ("陈小明", "330106199001010018"),
    "mailed": ("林晓红", "33020319880512002X"),
    "collected": ("赵大伟", "330302199203150030"),
    "pending_national": ("周文静", "33040219951120004X"),
    "proxy_reviewing": ("吴建国", "330106198707070018"),
    "mail_returned": ("孙丽娟", "330102198503150029"),
    "national_published": ("郑国强", "330402197806200013"),
}
RETURNED_REASON = "收件地址无法投递，请核对收件地址后重新申请（示例）"

DEMO_TOKEN = "demo"


def demo_offices() -> list[OfficeRecord]:
    offices = [OfficeRecord(
        code="330000", level="省", region="浙江", name="浙江省职业技能鉴定指导中心（示例）",
        address="杭州市示例区示例路1号（示例地址）", phone="0571-00000000（示例号码）",
        hours="工作日 9:00-12:00，13:30-17:00（示例）")]
    for i, (city, district, area) in enumerate(CITIES, start=1):
        offices.append(OfficeRecord(
            code=f"{district[:4]}00", level="市", region=city,
            name=f"{city}市职业技能鉴定指导中心（示例）",
            address=f"{city}市示例路{i}号（示例地址）", phone=f"{area}-0000000{i % 10}（示例号码）",
            hours="工作日 9:00-12:00，14:00-17:00，法定节假日休息（示例）"))
    offices.append(OfficeRecord(
        code="330110", level="县", region="杭州", district="余杭区",
        name="杭州市余杭区职业技能鉴定管理中心（示例）", address="杭州市余杭区示例街2号（示例地址）",
        phone="0571-00000002（示例号码）", hours="工作日 8:30-12:00，13:30-17:00（示例）"))
    return offices


def _random_people(rng: random.Random, district: str, count: int) -> list[tuple[str, str]]:
    people = []
    while len(people) < count:
        birth = dt.date(1965, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 38))
        id_number = with_check_digit(f"{district}{birth:%Y%m%d}{rng.randrange(0, 1000):03d}")
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        people.append((name, id_number))
    return people


def list_csv(rows: list[tuple]) -> bytes:
    """A published list as centres send it (the import's own header); the benchmark uses it too."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode()


def load_demo(session: Session, *, today: dt.date | None = None, holders_per_city: int = 30) -> dict:
    today = today or china_today()
    rng = random.Random(2026)
    calendar = calendar_for(session)
    upsert_offices(session, demo_offices())
    session.flush()
    offices = {o.region: o for o in session.query(Office).filter(Office.level == "市")}
    published_on = today - dt.timedelta(days=2)
    serial = 0
    for city, district, _area in CITIES:
        office = offices[city]
        rows = []
        for k, (name, id_number) in enumerate(_random_people(rng, district, holders_per_city)):
            serial += 1
            occupation = OCCUPATIONS[k % 4 + (serial % 3)]
            level = LEVELS[k % 2 + (serial % 2)]
            batch = f"JD{today.year}{district[2:4]}{k % 2 + 1:02d}"
            rows.append((name, id_number, f"ZS{today.year}{serial:06d}", occupation, level, batch))
        if city == "杭州":
            rows.append((*DEMO_PEOPLE["ready"], f"ZS{today.year}900001", "电工", "四级", f"JD{today.year}0101"))
            rows.append((*DEMO_PEOPLE["proxy_reviewing"], f"ZS{today.year}900005", "焊工", "三级", f"JD{today.year}0101"))
            rows.append((*DEMO_PEOPLE["mail_returned"], f"ZS{today.year}900006", "育婴员", "四级", f"JD{today.year}0101"))
        if city == "宁波":
            rows.append((*DEMO_PEOPLE["mailed"], f"ZS{today.year}900002", "育婴员", "四级", f"JD{today.year}0201"))
        if city == "温州":
            rows.append((*DEMO_PEOPLE["collected"], f"ZS{today.year}900003", "中式烹调师", "五级", f"JD{today.year}0301"))
        import_list(session, filename="demo.csv", data=list_csv(rows), office=office,
                    exam_type="local", blanks_arrived_on=None, today=today)
        batch_nos = sorted({r[5] for r in rows})
        # The first batch of each city is published; the second waits for its notice.
        publish(session, NoticeRequest(office_code=office.code, batch_nos=batch_nos[:1],
                                       published_on=published_on), office, calendar, today)
    jiaxing = offices["嘉兴"]
    import_list(session, filename="demo-national.csv",
                data=list_csv([(*DEMO_PEOPLE["pending_national"], f"ZS{today.year}900004", "电工", "三级",
                            f"QG{today.year}0401")]),
                office=jiaxing, exam_type="national", blanks_arrived_on=today - dt.timedelta(days=7),
                today=today)
    # A 全国统考 list already published: its last day counts from the blanks' arrival.
    import_list(session, filename="demo-national-published.csv",
                data=list_csv([(*DEMO_PEOPLE["national_published"], f"ZS{today.year}900007", "焊工", "四级",
                            f"QG{today.year}0402")]),
                office=jiaxing, exam_type="national", blanks_arrived_on=today - dt.timedelta(days=14),
                today=today)
    publish(session, NoticeRequest(office_code=jiaxing.code, batch_nos=[f"QG{today.year}0402"],
                                   published_on=published_on), jiaxing, calendar, today)
    session.commit()
    _demo_applications(session, today)
    return {"offices": len(demo_offices()), "holders": serial + len(DEMO_PEOPLE)}


def _demo_applications(session: Session, today: dt.date) -> None:
    calendar = calendar_for(session)
    name, id_number = DEMO_PEOPLE["mailed"]
    mail, _ = create_application(
        session, MailApplication(kind="mail", name=name, id_number=id_number, phone="13800000000",
                                 address="宁波市海曙区示例路8号（示例地址）"),
        client="demo", key="demo-mail-0001", actor="demo", calendar=calendar, today=today)
    for step in ("accepted", "reviewing", "completed"):
        move(session, mail, Transition(to=step), actor="demo", calendar=calendar, today=today, push_channels=[])
    move(session, mail, Transition(to="delivered", express_company="示例快递", tracking_no="SF0000000001"),
         actor="demo", calendar=calendar, today=today, push_channels=[])
    name, id_number = DEMO_PEOPLE["proxy_reviewing"]
    proxy, _ = create_application(
        session, ProxyApplication(kind="proxy", name=name, id_number=id_number, proxy_name="吴小燕",
                                  proxy_id_number=with_check_digit("33010619900909002")),
        client="demo", key="demo-proxy-0001", actor="demo", calendar=calendar, today=today)
    for step in ("accepted", "reviewing"):
        move(session, proxy, Transition(to=step), actor="demo", calendar=calendar, today=today, push_channels=[])
    name, id_number = DEMO_PEOPLE["mail_returned"]
    returned, _ = create_application(
        session, MailApplication(kind="mail", name=name, id_number=id_number, phone="13900000000",
                                 address="杭州市上城区示例路6号（示例地址）"),
        client="demo", key="demo-mail-0002", actor="demo", calendar=calendar, today=today)
    move(session, returned, Transition(to="accepted"), actor="demo", calendar=calendar, today=today,
         push_channels=[])
    move(session, returned, Transition(to="returned", reason=RETURNED_REASON), actor="demo",
         calendar=calendar, today=today, push_channels=[])
    record_collection(session, CollectionRequest(
        certificate_nos=[f"ZS{today.year}900003"], method="本人", collector_name=DEMO_PEOPLE["collected"][0],
        receipt_signed=True), actor="demo", today=today)
    session.commit()
