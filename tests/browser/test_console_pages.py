"""The staff console's pages that test_console.py does not walk, in Debian's chromium at
1366×768 against the real backend: the 签收单 of an organisation pickup (its print view and
the print stylesheets), the holiday overrides upload (dates that were estimated become
confirmed; a bad file is refused in Chinese and changes nothing), and every view
keyboard-first (Tab reaches the primary action, Enter submits), with its empty state, its
error state, nothing wider than the screen and no axe-core violations. Screenshots go to
docs/screenshots/ (console-receipt.png, console-holidays.png)."""

from __future__ import annotations

import json
import time

import pytest
import requests
from console_helpers import PASSWORD, csv_file, go, published_list, shot, sign_in
from pickup_rules import mask_id
from pickup_rules.testing import BATCH_NUMBER_STYLES, CERTIFICATE_NUMBER_STYLES, older_holders
from playwright.sync_api import Locator, Page, Route, expect
from servers import FIXED_TODAY, Stack, staff_user
from ux_helpers import axe_violations, dump

PROVINCE, CITY, AUDITOR = "zj.pages", "hz.pages", "audit.pages"
ORGANISATION = "杭州市示例建设集团有限公司"
HANGZHOU = "杭州市职业技能鉴定指导中心（示例）"
UNAVAILABLE = "服务暂时不可用，请稍后再试（测试）。"
# Test data, not the State Council's arrangement for 2027 (not published when this was written).
HOLIDAYS_2027 = {"year": 2027, "source": "测试用安排（非真实公告）", "days": [
    {"date": "2027-01-01", "type": "holiday", "name": "元旦"},
    {"date": "2027-02-06", "type": "workday", "name": "测试调休"}]}


@pytest.fixture(scope="module")
def accounts(stack: Stack) -> None:
    for username, role, office in ((PROVINCE, "province", "330000"), (CITY, "city", "330100"),
                                   (AUDITOR, "auditor", "")):
        staff_user(stack, username, role, office, PASSWORD)


def signed_in(desk, stack: Stack, username: str, view: str | None = None) -> Page:
    page = desk.new_page()
    sign_in(page, stack, username)
    expect(page.locator("#app")).to_be_visible()
    if view:
        go(page, view)
    return page


def tab_to(page: Page, target: Locator, limit: int = 40) -> int:
    """Tab from the view's heading until `target` has the focus; how many presses it took."""
    page.locator("#view h2").focus()
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if target.evaluate("(node) => node === document.activeElement"):
            return presses
    raise AssertionError(f"{limit} presses of Tab never reached {target}")


def fits_and_passes_axe(page: Page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), "wider than 1366"
    violations = [v for v in axe_violations(page) if v["impact"] in ("serious", "critical")]
    assert not violations, dump(violations)
    assert not axe_violations(page, ["color-contrast"])


def fail_with_503(page: Page, url_glob: str) -> None:
    def answer(route: Route) -> None:
        route.fulfill(status=503, content_type="application/json",
                      body=json.dumps({"code": "unavailable", "message": UNAVAILABLE}))
    page.route(url_glob, answer)


def answer_with(page: Page, url_glob: str, body: dict) -> None:
    page.route(url_glob, lambda route: route.fulfill(status=200, content_type="application/json",
                                                     body=json.dumps(body, ensure_ascii=False)))


# -- the 签收单 of an organisation pickup ---------------------------------------------------------

def test_the_receipt_of_an_organisation_pickup_prints_what_the_seed_asks(desk, stack: Stack, accounts):
    seed = int(time.time()) % 10_000
    holders = older_holders(3, seed=seed + 60_000)
    [collector] = older_holders(1, seed=seed + 61_000)
    batch = f"{BATCH_NUMBER_STYLES[4][:-2]}{seed}号"  # 杭人社鉴〔2026〕<n>号
    numbers = [f"{CERTIFICATE_NUMBER_STYLES[0][:-4]}{(seed + i) % 10_000:04d}" for i in range(3)]
    published_list(stack, "330100", [f"{name},{id_number},{no},电工,四级,{batch}"
                                     for (name, id_number), no in zip(holders, numbers)], FIXED_TODAY)
    applied = requests.post(f"{stack.backend.url}/api/v1/applications", timeout=30,
                            headers={"Idempotency-Key": f"receipt-{seed}-{time.time_ns()}"}, json={
                                "kind": "organization", "organization_name": ORGANISATION, "batch_no": batch,
                                "occupation": "电工", "level": "四级", "headcount": 3,
                                "collector_name": collector[0], "collector_id_number": collector[1],
                                "visit_date": "2026-06-05"})
    assert applied.status_code == 201, applied.text
    number = applied.json()["number"]

    page = signed_in(desk, stack, CITY, "queue")
    page.get_by_label("类型").select_option("organization")
    row = page.locator(f'#queue-result tr[data-number="{number}"]')
    expect(row).to_contain_text(ORGANISATION)
    row.get_by_role("button", name="办理").click()
    link = page.locator(f"#receipt-{number}")
    expect(link).to_have_text("打印签收单")
    with desk.expect_page() as opened:
        link.click()
    receipt = opened.value
    receipt.wait_for_load_state()

    expect(receipt.locator("h1")).to_have_text("领取技能人员国家职业资格证书签收单")
    expect(receipt.locator("#office")).to_have_text(HANGZHOU)
    expect(receipt.locator("#organization")).to_have_text(ORGANISATION)
    body = receipt.locator("main")
    for text in (batch, "电工", "四级", number, collector[0], mask_id(collector[1]), "6月5日",
                 "今领到国家职业资格证书", "发证名册", "核对无误", "签 收 人", "经办人员", "联系电话"):
        expect(body).to_contain_text(text)
    rows = receipt.locator("#roster tbody tr")
    expect(rows).to_have_count(3)
    for (name, id_number), no in zip(holders, numbers):
        expect(rows.filter(has_text=no).locator("td")).to_have_text(
            [str(sorted(numbers).index(no) + 1), name, mask_id(id_number), no, ""])
    html = receipt.content()
    for _, id_number in [*holders, collector]:
        assert id_number not in html and id_number[6:14] not in html
    fits_and_passes_axe(receipt)

    # On paper: the sheet without its buttons; shown as it prints.
    expect(receipt.locator(".toolbar")).to_be_visible()
    receipt.emulate_media(media="print")
    expect(receipt.locator(".toolbar")).to_be_hidden()
    expect(receipt.locator("#roster")).to_be_visible()
    shot(receipt, "console-receipt.png")

    # The console printed as it is: the view without the menu, the header or the buttons.
    page.emulate_media(media="print")
    for chrome in ("#nav", "header.top", f"#actions-{number} button"):
        expect(page.locator(chrome).first).to_be_hidden()
    expect(row).to_be_visible()


# -- holiday overrides -----------------------------------------------------------------------------

def _json_file(content: object) -> dict:
    data = content if isinstance(content, bytes) else json.dumps(content, ensure_ascii=False).encode()
    return {"name": "2027年节假日安排.json", "mimeType": "application/json", "buffer": data}


def test_a_years_overrides_confirm_the_estimated_dates_and_a_bad_file_changes_nothing(desk, stack: Stack,
                                                                                        accounts):
    def known_2027() -> bool:
        return requests.get(f"{stack.backend.url}/api/v1/holidays/2027", timeout=30).json()["known"]

    assert not known_2027(), "2027 is already known: the upload below would prove nothing"
    page = signed_in(desk, stack, PROVINCE, "holidays")
    year_2027 = page.locator('#holidays-result tr[data-year="2027"] .known')
    expect(year_2027).to_have_text("未知（期限为预估）")
    expect(page.locator("#holidays-estimated")).to_contain_text("2027年起")
    # Ten working days from Christmas 2026 run into 2027: estimated, weekends only.
    page.get_by_label("起算日期（当日不计入）").fill("2026-12-25")
    page.get_by_label("工作日数").fill("10")
    page.get_by_label("工作日数").press("Enter")
    due = page.locator("#due-date")
    expect(due).to_have_text("2026-12-25 起 10 个工作日，最后一天：2027-01-08（预估：期间内有年份的节假日安排未知）")

    year_field, message = page.get_by_label("年份", exact=True), page.locator("#holidays-message")
    expect(year_field).to_have_value("2027")
    bad_files = [
        ({**HOLIDAYS_2027, "year": 2028}, ["所选年份：2027；文件中的年份：2028"]),
        ({**HOLIDAYS_2027, "days": [*HOLIDAYS_2027["days"], {"date": "2028-01-01", "type": "holiday", "name": "元旦"}]},
         ["不属于所声明的年份", "2028-01-01"]),
        ({**HOLIDAYS_2027, "days": [{"date": "2027-02-30", "type": "holiday", "name": "春节"}]}, ["第1条的日期"]),
        ({**HOLIDAYS_2027, "days": [*HOLIDAYS_2027["days"], {"date": "2027-01-01", "type": "workday", "name": "x"}]},
         ["日期重复出现", "2027-01-01"]),
        (b'{"year": 2027, "days": [', ["不是有效的 JSON"]),
    ]
    for content, says in bad_files:
        page.get_by_label("安排文件（JSON）").set_input_files(_json_file(content))
        year_field.press("Enter")  # keyboard-first: Enter submits the upload
        refusal = message.get_by_role("alert")
        for text in [*says, "未作任何改动"]:
            expect(refusal).to_contain_text(text)
        expect(year_2027).to_have_text("未知（期限为预估）")
        assert not known_2027(), content

    page.get_by_label("安排文件（JSON）").set_input_files(_json_file(HOLIDAYS_2027))
    tab_to(page, page.get_by_role("button", name="上传"))
    page.keyboard.press("Enter")
    expect(message.locator(".ok")).to_have_text("已载入2027年的安排：2天（测试用安排（非真实公告））。")
    expect(year_2027).to_have_text("已知")
    expect(page.locator('#holidays-result tr[data-year="2027"]')).to_contain_text("载入的文件：测试用安排（非真实公告）")
    expect(page.locator("#holidays-estimated")).to_contain_text("2028年起")
    # The same period, counted again with 2027's arrangement: 元旦 is off, the date is confirmed.
    expect(due).to_have_text("2026-12-25 起 10 个工作日，最后一天：2027-01-11（按已知的节假日安排）")
    assert known_2027()
    fits_and_passes_axe(page)
    shot(page, "console-holidays.png")


# -- every view: keyboard, empty state, error state --------------------------------------------------

def test_import_keyboard_empty_and_refused(desk, stack: Stack, accounts):
    page = signed_in(desk, stack, CITY, "import")
    out = page.locator("#import-result")
    expect(out.locator(".empty")).to_contain_text("先预览")
    fits_and_passes_axe(page)
    preview = page.get_by_role("button", name="预览（不写入）")
    tab_to(page, preview)
    page.keyboard.press("Enter")  # no file chosen: the browser asks for one, nothing is sent
    assert page.get_by_label("名单文件").evaluate("(input) => input.validationMessage")
    expect(out.locator(".empty")).to_be_visible()
    page.get_by_label("名单文件").set_input_files(csv_file([]))  # the header alone: no rows
    tab_to(page, preview)
    page.keyboard.press("Enter")
    expect(out.get_by_role("alert").first).to_have_text("文件中没有数据行。")
    expect(page.locator("#import-confirm")).to_be_disabled()
    fits_and_passes_axe(page)


def test_publish_keyboard_empty_and_refused(desk, stack: Stack, accounts):
    page = signed_in(desk, stack, CITY, "publish")
    out = page.locator("#publish-result")
    expect(out.locator(".empty")).to_be_visible()
    fits_and_passes_axe(page)
    tab_to(page, page.get_by_role("button", name="预览", exact=True))
    page.get_by_label("鉴定批次号").fill("2026-33-NOSUCH")
    page.get_by_label("标题").press("Enter")
    expect(out.get_by_role("alert")).not_to_have_text("")
    expect(page.locator("#publish-confirm")).to_be_disabled()
    fits_and_passes_axe(page)


def test_queue_keyboard_empty_and_error(desk, stack: Stack, accounts):
    page = signed_in(desk, stack, PROVINCE, "queue")
    first = page.locator("#queue-result tbody tr").first.get_by_role("button")
    expect(first).to_be_visible()  # the demo's applications
    fits_and_passes_axe(page)
    tab_to(page, first)
    page.keyboard.press("Enter")
    panel = page.locator("#queue-detail .actions")
    expect(panel).to_be_visible()
    assert panel.evaluate("(node) => node.contains(document.activeElement)"), "the panel took no focus"

    answer_with(page, "**/api/v1/staff/applications*", {"today": FIXED_TODAY, "applications": []})
    go(page, "stats")
    go(page, "queue")
    expect(page.locator("#queue-result .empty")).to_have_text("当前没有待办的申请。")
    page.unroute("**/api/v1/staff/applications*")
    fail_with_503(page, "**/api/v1/staff/applications*")
    page.get_by_label("含已办结").check()
    expect(page.locator("#queue-result").get_by_role("alert")).to_have_text(UNAVAILABLE)


def test_counter_keyboard_empty_and_not_found(desk, stack: Stack, accounts):
    page = signed_in(desk, stack, CITY, "counter")
    out = page.locator("#counter-result")
    expect(out.locator(".empty")).to_have_text("输入领证人的姓名和身份证号查找证书。")
    fits_and_passes_axe(page)
    tab_to(page, page.get_by_role("button", name="查找"))
    [(name, id_number)] = older_holders(1, seed=int(time.time()) % 10_000 + 70_000)  # on no list
    page.get_by_label("姓名", exact=True).fill(name)
    page.get_by_label("身份证号", exact=True).fill(id_number)
    page.get_by_label("身份证号", exact=True).press("Enter")
    expect(out.get_by_role("alert")).not_to_have_text("")
    assert id_number not in page.content()


def test_statistics_keyboard_empty_and_refused(desk, stack: Stack, accounts):
    page = signed_in(desk, stack, CITY, "stats")
    expect(page.locator("#stats-cases")).to_be_visible()
    fits_and_passes_axe(page)
    tab_to(page, page.get_by_role("button", name="统计", exact=True))
    page.get_by_label("开始").fill("2020-01-01")
    page.get_by_label("结束").fill("2020-01-31")
    page.get_by_label("结束").press("Enter")
    out = page.locator("#stats-result")
    expect(out.locator(".empty")).to_have_text("该期间内没有领取记录。")
    expect(page.locator("#stats-cases")).to_have_text("0")
    page.get_by_label("开始").fill("2020-02-01")
    page.get_by_label("结束").press("Enter")
    expect(out.get_by_role("alert")).to_have_text("结束日期不能早于开始日期。")


def test_holidays_keyboard_and_error(desk, stack: Stack, accounts):
    page = signed_in(desk, stack, CITY, "holidays")
    expect(page.locator("#holidays-form")).to_have_count(0)  # a city account does not load calendars
    expect(page.locator("#due-result .empty")).to_be_visible()
    fits_and_passes_axe(page)
    tab_to(page, page.get_by_role("button", name="试算"))
    fail_with_503(page, "**/api/v1/holidays/*")
    go(page, "stats")
    go(page, "holidays")
    expect(page.locator("#holidays-result").get_by_role("alert")).to_have_text(UNAVAILABLE)


def test_unanswered_keyboard_empty_and_error(desk, stack: Stack, accounts):
    page = signed_in(desk, stack, CITY)
    answer_with(page, "**/api/v1/staff/unanswered*", {"configured": True, "total": 0, "threshold": 0.4,
                                                        "by_week_and_intent": [], "questions": []})
    go(page, "unanswered")
    expect(page.locator("#unanswered-result .empty")).to_be_visible()
    fits_and_passes_axe(page)
    weeks = page.get_by_label("范围")
    tab_to(page, weeks)
    page.unroute("**/api/v1/staff/unanswered*")
    fail_with_503(page, "**/api/v1/staff/unanswered*")
    weeks.select_option("8")
    expect(page.locator("#unanswered-result").get_by_role("alert")).to_have_text(UNAVAILABLE)


def test_audit_keyboard_empty_and_error(desk, stack: Stack, accounts):
    page = signed_in(desk, stack, AUDITOR, "audit")
    expect(page.locator("#audit-result tbody tr").first).to_be_visible()
    fits_and_passes_axe(page)
    tab_to(page, page.get_by_role("button", name="查询", exact=True))
    page.get_by_label("账号").fill("nobody.pages")
    page.get_by_label("账号").press("Enter")
    expect(page.locator("#audit-result .empty")).to_have_text("没有符合条件的记录。")
    fail_with_503(page, "**/api/v1/staff/audit*")
    page.get_by_label("账号").press("Enter")
    expect(page.locator("#audit-result").get_by_role("alert")).to_have_text(UNAVAILABLE)
