"""Regenerate the bundled sample data from the real administrative units.

The units (codes, names, hierarchy) are public facts copied from the reference lists
(`vietnam-provinces` on PyPI, and a hand-assembled department list). Every contact is
invented: names from common Vietnamese name parts, phones in the clearly fake
+84 900 0xx xxx range, addresses at example.gov.vn. Run: python scripts/make_samples.py
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "scripts" / "reference"
SAMPLES = ROOT / "layers" / "common" / "ioc_alerts" / "samples"

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ", "Lâm", "Thạch"]
MIDDLE = ["Văn", "Thị", "Minh", "Hoàng", "Thanh", "Quốc", "Ngọc", "Hữu"]
GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hà",
    "Hùng",
    "Lan",
    "Mai",
    "Nam",
    "Phúc",
    "Sơn",
    "Tâm",
    "Thảo",
    "Trung",
    "Vy",
    "Khánh",
    "Sa Rết",
]

DISTRICT_PREFIX = {"Huyện": "UBND huyện", "Thị xã": "UBND thị xã", "Thành phố": "UBND thành phố"}


class Contacts:
    """Deterministic invented leader representatives."""

    def __init__(self, area: int) -> None:
        self.area = area
        self.n = 0

    def make(self, code: str, titles: list[str]) -> list[dict[str, str]]:
        people = []
        for title in titles:
            self.n += 1
            i = self.n
            name = f"{FAMILY[i % len(FAMILY)]} {MIDDLE[i % len(MIDDLE)]} {GIVEN[i % len(GIVEN)]}"
            people.append(
                {
                    "name": name,
                    "title": title,
                    # 0900 0AA NNN: a block no carrier has issued to a real subscriber here.
                    "phone": f"09000{self.area}{i:04d}",
                    "email": f"lanhdao{len(people) + 1}.{code.lower()}@example.gov.vn",
                }
            )
        return people


def district_short_name(name: str) -> str:
    for prefix, committee in DISTRICT_PREFIX.items():
        if name.startswith(prefix + " "):
            return f"{committee} {name[len(prefix) + 1 :]}"
    return f"UBND {name}"


def load(name: str) -> list[dict]:
    return json.loads((REFERENCE / name).read_text(encoding="utf-8"))["units"]


def soctrang() -> dict:
    contacts = Contacts(1)
    units = []
    for unit in load("soctrang-2023-divisions.json") + load("soctrang-2023-departments.json"):
        unit = {k: unit.get(k) for k in ("code", "name", "short_name", "level", "parent")}
        if unit["level"] == "province":
            unit["short_name"] = "UBND tỉnh"
            unit["contacts"] = contacts.make(unit["code"], ["Phó Chủ tịch UBND tỉnh"])
        elif unit["level"] == "district":
            unit["short_name"] = district_short_name(unit["name"])
            unit["contacts"] = contacts.make(unit["code"], ["Chủ tịch UBND", "Phó Chủ tịch UBND"])
        elif unit["level"] == "department":
            # One department has sent no contact yet: its alerts are unroutable (kept, reported).
            titles = (
                []
                if unit["code"] == "BQLKCN"
                else ["Giám đốc", "Phó Giám đốc"][: 1 + len(unit["code"]) % 2]
            )
            unit["contacts"] = contacts.make(unit["code"], titles)
        else:
            unit["contacts"] = []  # communes are alerted through their district
        if unit["short_name"] is None:
            del unit["short_name"]
        units.append(unit)
    return {"units": units}


def cantho() -> dict:
    contacts = Contacts(2)
    units = []
    for unit in load("cantho-2025-divisions.json"):
        unit = {k: unit.get(k) for k in ("code", "name", "level", "parent")}
        if unit["level"] == "province":
            unit["short_name"] = "UBND thành phố"
            unit["contacts"] = contacts.make(unit["code"], ["Chủ tịch UBND", "Phó Chủ tịch UBND"])
        else:
            unit["contacts"] = []  # two tiers: a commune's alerts go to the city's leaders
        units.append(unit)
    # The portal operator after the 2025 merger of Sở TTTT into Sở KH&CN (invented code).
    units.append(
        {
            "code": "SKHCN",
            "name": "Sở Khoa học và Công nghệ",
            "short_name": "Sở KH&CN",
            "level": "department",
            "parent": "92",
            "contacts": contacts.make("SKHCN", ["Giám đốc"]),
        }
    )
    return {"units": units}


PREVIEW_DAY = "2023-11-06"  # a Monday: both rules run
RECENT = "2023-11-04T09:30:00+07:00"

# Latest posts on the preview day, chosen so that every case of the rule shows up.
PORTAL_POSTS = {
    "STTTT": "2023-11-05T15:00:00+07:00",
    "SGTVT": "2023-10-31T09:00:00+07:00",  # 5 whole days without a post: first alert
    "SXD": "2023-10-28T14:00:00+07:00",  # 8 days
    "BQLKCN": "2023-10-20T10:00:00+07:00",  # stale, but no contact: unroutable
    "SKHCN": "2023-10-31T23:30:00+07:00",  # late evening, Vietnam date 31/10: 5 days
    "STNMT": "2023-10-31T17:30:00Z",  # UTC 31/10 but Vietnam 01/11 00:30: 4 days, no alert
    "SYT": None,  # no post date known: reported as a data problem
    "SGDDT": "2023-11-07T08:00:00+07:00",  # after the day: counted as posted that day
    "946": "2023-10-25T08:00:00+07:00",  # a district's portal, 11 days
}
OVERDUE = {"SNV": 2, "STP": 1, "SCT": 7, "942": 4, "31570": 3, "947": 2, "31690": 5}


def portals(directory: dict) -> dict:
    items = [
        {
            "portal_id": "cong-tinh",
            "name": "Cổng thông tin điện tử tỉnh Sóc Trăng",
            "url": "https://www.soctrang.gov.vn",
            "kind": "provincial",
            "unit_code": "STTTT",
            "last_published_at": "2023-11-02T10:15:00+07:00",  # 3 days: first alert
        }
    ]
    for unit in directory["units"]:
        if unit["level"] in ("department", "district"):
            items.append(
                {
                    "portal_id": f"cong-{unit['code'].lower()}",
                    "name": f"Cổng thông tin điện tử {unit['name']}",
                    "url": f"https://{unit['code'].lower()}.soctrang.gov.vn",
                    "kind": "component",
                    "unit_code": unit["code"],
                    "last_published_at": PORTAL_POSTS.get(unit["code"], RECENT),
                }
            )
    return {"items": items, "next_page": None}


def dossiers(directory: dict) -> dict:
    items: list[dict] = [
        {"unit_code": unit["code"], "overdue_count": OVERDUE.get(unit["code"], 0)}
        for unit in directory["units"]
        if unit["level"] != "province"
    ]
    # Two records the API should never send: they are reported and skipped.
    items.append({"unit_code": "99999", "overdue_count": 3})
    items.append({"unit_code": "STC", "overdue_count": "nhiều"})
    return {"items": items, "next_page": None}


# The demo scenario (ioc-alerts demo): two weeks from the notice's start date, with portals
# that fall quiet and post again, and dossier counts that pile up and get processed.
SCENARIO_POSTS = {
    # provincial portal: 3 days without a post on 05/11 ("Đã quá 3 ngày"), 4 on 06/11,
    # then a post on 06/11 afternoon ends it
    "cong-tinh": ["2023-11-01T10:15:00+07:00", "2023-11-06T15:00:00+07:00"],
    # first component alert on 06/11 (5 days), 6 and 7 days, a post on 08/11 ends it
    "cong-sgtvt": ["2023-10-31T09:00:00+07:00", "2023-11-08T16:00:00+07:00"],
    "cong-sxd": ["2023-11-02T14:00:00+07:00"],  # quiet to the end: 5 days on 08/11, then more
    "cong-bqlkcn": ["2023-10-20T10:00:00+07:00"],  # quiet, and no contact: unroutable
    # 23:30 in Vietnam is still 03/11: alerts on 09/11 and 10/11, a post at 09:00 on 10/11
    "cong-946": ["2023-11-03T23:30:00+07:00", "2023-11-10T09:00:00+07:00"],
    # 17:30 UTC on 03/11 is 00:30 on 04/11 in Vietnam: the first alert comes on 10/11, not 09/11
    "cong-stnmt": ["2023-11-03T17:30:00Z", "2023-11-10T10:00:00+07:00"],
    "cong-syt": [],  # no post known to the IOC: a data problem every day, no alert
}
SCENARIO_DOSSIERS = {
    "SNV": [["2023-11-01", 2], ["2023-11-09", 3]],  # 2 on the first Monday, 3 on the second
    "STP": [["2023-11-01", 1]],  # below the threshold
    "SCT": [["2023-11-01", 7], ["2023-11-08", 0]],  # processed between the two Mondays
    "942": [["2023-11-01", 4], ["2023-11-10", 5]],
    "31570": [["2023-11-01", 3], ["2023-11-12", 6]],  # a commune: to Huyện Châu Thành's leaders
    "947": [["2023-11-01", 1]],
    "31690": [["2023-11-10", 2]],  # a commune of Mỹ Xuyên, first alerted on 13/11
}


def scenario(directory: dict) -> dict:
    portal_items = portals(directory)["items"]
    scenario_portals = []
    for item in portal_items:
        posts = SCENARIO_POSTS.get(item["portal_id"], "daily")
        scenario_portals.append(
            {k: v for k, v in item.items() if k != "last_published_at"} | {"posts": posts}
        )
    return {
        "name": "Sóc Trăng 2023: two weeks from the notice's start date",
        "directory": "directory.json",
        "from": "2023-11-01",
        "to": "2023-11-14",
        "portals": scenario_portals,
        "dossiers": SCENARIO_DOSSIERS,
    }


def write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    soc_trang = soctrang()
    write(SAMPLES / "soctrang-2023" / "directory.json", soc_trang)
    write(SAMPLES / "soctrang-2023" / "portals.json", portals(soc_trang))
    write(SAMPLES / "soctrang-2023" / "dossiers.json", dossiers(soc_trang))
    write(SAMPLES / "soctrang-2023" / "scenario.json", scenario(soc_trang))
    write(SAMPLES / "cantho-2025" / "directory.json", cantho())
