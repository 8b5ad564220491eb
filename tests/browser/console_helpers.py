"""What the staff console's browser tests share (their 1366×768 screen is conftest's `desk`):
signing in, moving between views, screenshots for the README, published lists put in through
the staff API."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from servers import REPO, Stack

from tests.published_lists import published_list as publish_all

PASSWORD = "console browser walk 2026"
SHOTS = REPO / "docs" / "screenshots"
HEADER = "姓名,身份证号,证书编号,职业,等级,鉴定批次号"


def staff_headers(stack: Stack) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.staff_token}"}


def sign_in(page: Page, stack: Stack, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{stack.backend.url}/staff")
    expect(page.locator("#sign-in")).to_be_visible()  # the page has asked whether anyone is signed in
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_label("密码").press("Enter")  # keyboard-first: Enter submits


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name))


def go(page: Page, view: str) -> None:
    page.locator(f'#nav button[data-view="{view}"]').click()
    expect(page.locator("#view h2")).to_be_visible()


def csv_file(rows: list[str]) -> dict:
    return {"name": "公布名单.csv", "mimeType": "text/csv", "buffer": "\n".join([HEADER, *rows]).encode("utf-8")}


def published_list(stack: Stack, office_code: str, rows: list[str], published_on: str) -> None:
    """A list imported and its batches' notice published, as staff do through the console."""
    publish_all(stack.backend.url, stack.staff_token, [HEADER, *rows], [row.rsplit(",", 1)[1] for row in rows],
                published_on=published_on, office_code=office_code)
