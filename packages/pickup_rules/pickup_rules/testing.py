"""Realistic people for tests of both processes: ID numbers of holders born 1950-1980 in
today's districts (most of them created after their birth, as an ID's code is the issuing
district's), names as Chinese people are named, and the styles of real batch and
certificate numbers. The demo holders are not the world; these are a little closer."""

from __future__ import annotations

import datetime as dt
import random

from pickup_rules.identity import with_check_digit

# (code, district, year the code was first listed): each issues IDs to people born before it.
DISTRICTS_CREATED_LATER = (
    ("330102", "杭州市上城区", 1983), ("330106", "杭州市西湖区", 1983),
    ("330108", "杭州市滨江区", 1996), ("330109", "杭州市萧山区", 2001),
    ("330110", "杭州市余杭区", 2001), ("330111", "杭州市富阳区", 2014),
    ("330112", "杭州市临安区", 2017), ("330113", "杭州市临平区", 2021),
    ("330604", "绍兴市上虞区", 2013), ("330381", "瑞安市", 1989),
    ("310115", "上海市浦东新区", 1992), ("440305", "深圳市南山区", 1990),
    ("440307", "深圳市龙岗区", 1992), ("440309", "深圳市龙华区", 2016),
    ("110115", "北京市大兴区", 2001), ("510116", "成都市双流区", 2015),
    ("500118", "重庆市永川区", 2006), ("350213", "厦门市翔安区", 2003),
    ("441900", "东莞市", 1988), ("460400", "儋州市", 2015),
)
# Codes no longer listed today, still on the cards of the people they were issued to.
DISTRICTS_ABOLISHED = (("110103", "北京市崇文区"), ("330185", "临安市"), ("330103", "杭州市下城区"))
# Codes that were never listed (the first six digits of a mistyped ID).
NEVER_LISTED = ("339999", "000000", "990000", "123400")

# Common surnames, compound surnames, and given names that hold this domain's characters
# (依法, 证, 寄, 领, 多久, 依据, 办, 查, 快递): a name is not a question.
SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
            "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
            "彭", "曾", "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏",
            "魏", "吕", "丁", "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金",
            "石", "廖", "贾", "夏", "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹",
            "薛", "闫", "段", "雷", "侯", "龙", "史", "陶", "黎", "贺", "顾", "毛", "郝", "龚", "邵",
            "万", "钱", "严", "覃", "武", "戴", "莫", "孔", "向", "汤", "查", "单", "应", "寿", "楼")
COMPOUND_SURNAMES = ("欧阳", "上官", "司马", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
                     "宇文", "司徒", "夏侯", "令狐", "端木", "南宫", "独孤", "呼延", "西门", "钟离")
GIVEN_NAMES = ("依法", "证", "寄", "知秋", "多久", "依据", "领", "办", "建国", "秀英", "桂兰", "国强",
               "卫东", "红梅", "志刚", "淑珍", "德胜", "玉兰", "凤英", "海燕", "文静", "小明", "证明",
               "邮", "快递", "通知", "地址", "期限", "材料", "时间", "电话", "代", "委托", "查询",
               "伟", "芳", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
               "明", "超", "秀兰", "霞", "平", "刚", "桂英", "法", "规", "据", "领弟", "寄华")
MINORITY_NAMES = ("阿依古丽·买买提", "阿卜杜拉·艾合买提", "热依拉·吐尔逊", "扎西·次仁", "巴特尔")
RARE_CHARACTER_NAMES = ("吴堃", "王玥", "陈䶮", "李𬌗", "张〇", "赵珺琦", "钱犇")


def make_id(district: str, born: dt.date, serial: int) -> str:
    """A well-formed 18-character ID: district code, birth date, 3-digit serial, check digit."""
    return with_check_digit(f"{district}{born:%Y%m%d}{serial % 1000:03d}")


def older_holders(count: int, *, seed: int = 1965) -> list[tuple[str, str]]:
    """(name, ID) of people born 1950-1980 in districts created after their birth."""
    rng = random.Random(seed)
    people = []
    for i in range(count):
        code, _, created = DISTRICTS_CREATED_LATER[i % len(DISTRICTS_CREATED_LATER)]
        year = rng.randint(1950, min(1980, created - 1))
        born = dt.date(year, rng.randint(1, 12), rng.randint(1, 28))
        surname = rng.choice(SURNAMES + COMPOUND_SURNAMES)
        people.append((surname + rng.choice(GIVEN_NAMES), make_id(code, born, rng.randint(1, 999))))
    return people


def realistic_names() -> list[str]:
    """A few hundred names: every surname and compound surname with given names that hold
    this domain's words, minority names with a middle dot, rare characters."""
    names = [s + g for s in SURNAMES for g in GIVEN_NAMES[:6]]
    names += [s + g for s in COMPOUND_SURNAMES for g in GIVEN_NAMES[:8]]
    return names + list(MINORITY_NAMES) + list(RARE_CHARACTER_NAMES)


# Batch numbers as provinces and years write them, and certificate numbers of the national
# scheme (16 digits; 13 in older Shanghai lists; 22 characters later).
BATCH_NUMBER_STYLES = ("JD20260101", "2026-33-0015", "330100202603015", "浙鉴2026第15批",
                       "杭人社鉴〔2026〕3号", "2026年第3批", "GZ-2026-Q3-07", "2026(03)", "26A0315",
                       "ZJ2026/015")
CERTIFICATE_NUMBER_STYLES = ("0833010130400123", "1533000000300456", "0731000012345",
                             "S000033010002234000123", "1733010000000400012345")
