"""The assistant accepts exactly what the backend accepts: one corpus of ID numbers, phones,
addresses, levels and batch numbers, realistic and broken, fed to the actions' checks and to
the real backend's API (whether a batch was published, the organisation form asks the backend
itself; both read a typed number the same way).

Both sides call the shared rules (`pickup_rules`); this proves that neither adds a rule of its
own on the way (the bot once took 7-digit Ningbo landlines the backend refused, and refused the
IDs of older holders the backend's list held)."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from pickup_rules.testing import BATCH_NUMBER_STYLES, DISTRICTS_ABOLISHED, NEVER_LISTED, make_id, older_holders

from actions.validation import check_address, check_batch_no, check_id_number, check_level, check_phone
from conftest import TEST_TODAY, publish_people

TODAY = dt.date.fromisoformat(TEST_TODAY)
# Someone on no list: the backend answers not_on_list (or not_found) once every field passes.
NOBODY = ("王依法", make_id("330110", dt.date(1962, 3, 4), 71))

ID_CORPUS = [
    *(i for _, i in older_holders(40, seed=7)),
    *(make_id(code, dt.date(1958, 8, 8), 12) for code, _ in DISTRICTS_ABOLISHED),
    make_id("830000", dt.date(1977, 1, 9), 5), make_id("810000", dt.date(1969, 4, 1), 8),
    *(make_id(code, dt.date(1966, 6, 6), 3) for code in NEVER_LISTED),
    make_id("330106", dt.date(2031, 1, 1), 1),  # born in the future
    make_id("330106", dt.date(1899, 5, 5), 1),  # before anyone alive
    make_id("330106", dt.date(2016, 5, 5), 1),  # ten years old
    "330106199001010019",  # wrong check digit
    "33010619900230001X",  # 30 February
    "33010619900101001", "3301061990010100188", "33010619900101001A", "",
    "3301 0619 9001 0100 18", "３３０１０６１９９００１０１００１８", "33020319880512002x",
]
PHONE_CORPUS = ["13912345678", "139 1234 5678", "+86 139-1234-5678", "8613912345678", "0571-88888888",
                "(0571)88888888", "057188888888", "0574-87654321", "010-62345678", "1391234567",
                "12345678901", "0574-8765432", "88888888", "021-6888888", "1391234567X"]
ADDRESS_CORPUS = ["浙江省杭州市西湖区文三路8号", "上海浦东新区世纪大道100号", "杭州市余杭区良渚街道玉鸟路3幢2单元",
                  "宁波市海曙区 中山西路 12 号", "西湖区文三路8号", "杭州市西湖区", "杭州市", "浙江省杭州市" + "路" * 300,
                  "新疆维吾尔自治区喀什市人民东路5号", "北京朝阳区建国路88号"]


def _post(url: str, path: str, body: dict) -> requests.Response:
    return requests.post(f"{url}{path}", json=body, timeout=10,
                         headers={"Idempotency-Key": "rules-agree-" + str(abs(hash(str(body))))})


@pytest.mark.parametrize("raw", ID_CORPUS)
def test_id_numbers(backend: str, raw: str) -> None:
    answer = _post(backend, "/api/v1/status", {"name": NOBODY[0], "id_number": raw or " "})
    backend_accepts = answer.status_code == 404
    assert backend_accepts or answer.json()["code"] in ("invalid_id_number", "invalid_request"), answer.text
    assert check_id_number(raw, TODAY).ok == backend_accepts


def _mail(backend: str, phone: str, address: str) -> requests.Response:
    return _post(backend, "/api/v1/applications", {"kind": "mail", "name": NOBODY[0], "id_number": NOBODY[1],
                                                   "phone": phone, "address": address})


@pytest.mark.parametrize("raw", PHONE_CORPUS)
def test_phones(backend: str, raw: str) -> None:
    answer = _mail(backend, raw, ADDRESS_CORPUS[0])
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] in ("invalid_phone", "not_on_list")
    assert check_phone(raw).ok == (answer.json()["code"] == "not_on_list")


@pytest.mark.parametrize("raw", ADDRESS_CORPUS)
def test_addresses(backend: str, raw: str) -> None:
    answer = _mail(backend, PHONE_CORPUS[0], raw)
    assert answer.status_code == 422, answer.text
    code = answer.json()["code"]
    assert code in ("invalid_address", "not_on_list", "invalid_request")
    assert check_address(raw).ok == (code == "not_on_list")


def test_the_corpus_holds_both_kinds() -> None:
    # A corpus the two sides could only agree on by accepting (or refusing) everything proves nothing.
    for corpus, check in ((ID_CORPUS, lambda r: check_id_number(r, TODAY)), (PHONE_CORPUS, check_phone),
                          (ADDRESS_CORPUS, check_address)):
        verdicts = {check(raw).ok for raw in corpus}
        assert verdicts == {True, False}


LEVEL_CORPUS = ["四级", "四级（中级工）", "国家职业资格四级", "中级", "中级工", "4级", "4", "高级技师", "技师", "二级/技师",
                "三級", "初级", "高级工", "电工", "六级", "三级四级都有", "我们是高级"]


@pytest.mark.parametrize("raw", LEVEL_CORPUS)
def test_levels(backend: str, raw: str) -> None:
    answer = requests.post(f"{backend}/api/v1/applications/check", json={"level": raw}, timeout=10)
    assert answer.status_code == 200, answer.text
    backend_level = answer.json()["level"]
    assert check_level(raw).value == backend_level
    assert (backend_level is None) == any(e["code"] == "invalid_level" for e in answer.json()["errors"])


@pytest.fixture(scope="module")
def published_batch_styles(backend_url: str) -> list[str]:
    """Each real batch-number style, published."""
    published = []
    for n, style in enumerate(BATCH_NUMBER_STYLES):
        batch = f"{style}{n}"
        person = (f"批次{'甲乙丙丁戊己庚辛壬癸'[n % 10]}", make_id("330110", dt.date(1960 + n, 1, 1), n))
        publish_people(backend_url, batch_no=batch, people=[person])
        published.append(batch)
    return published


@pytest.mark.parametrize("typed", ["{}", " {} ", "鉴定批次号：{}", "我们的批次是{}，谢谢"])
def test_batch_numbers(backend: str, published_batch_styles: list[str], typed: str) -> None:
    for batch in published_batch_styles:
        raw = typed.format(batch)
        answer = requests.post(f"{backend}/api/v1/applications/check", json={"batch_no": raw}, timeout=10).json()
        assert answer["batch_no"] is not None, raw
        if typed in ("{}", " {} ", "鉴定批次号：{}"):  # the bot's own reading of a bare number agrees
            assert check_batch_no(raw).value == answer["batch_no"], raw
    unpublished = requests.post(f"{backend}/api/v1/applications/check", json={"batch_no": "JD20269999"}, timeout=10)
    assert unpublished.json()["batch_no"] is None
