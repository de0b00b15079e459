"""docs/metrics-api.openapi.yaml is the metrics API contract: it must stay in step with the
input models (records.py), the bundled sample pages and docs/metrics-api.md."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from ioc_alerts.records import DossierRecord, PortalRecord

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
OPENAPI = DOCS / "metrics-api.openapi.yaml"
SAMPLES = ROOT / "layers" / "common" / "ioc_alerts" / "samples" / "soctrang-2023"

# Doc schema name, pydantic model, sample page.
ITEMS: list[tuple[str, type[BaseModel], str]] = [
    ("Portal", PortalRecord, "portals.json"),
    ("DossierUnit", DossierRecord, "dossiers.json"),
]
PAGES = {"Portal": "PortalsPage", "DossierUnit": "DossiersPage"}

PORTAL = {
    "portal_id": "cong-942",
    "name": "Cổng thông tin điện tử Huyện Châu Thành",
    "url": "https://942.soctrang.gov.vn",
    "kind": "component",
    "unit_code": "942",
    "last_published_at": "2023-11-04T09:30:00+07:00",
}
DOSSIER = {"unit_code": "31570", "overdue_count": 3}

# (schema, item, valid?): cases the doc and the code must judge alike.
EDGE_CASES: list[tuple[str, dict[str, Any], bool]] = [
    ("Portal", PORTAL, True),
    ("Portal", PORTAL | {"last_published_at": None}, True),
    ("Portal", PORTAL | {"last_published_at": "2023-10-31T17:30:00Z"}, True),
    ("Portal", PORTAL | {"extra": {"ignored": True}}, True),
    ("Portal", PORTAL | {"last_published_at": "2023-11-04T09:30:00"}, False),
    ("Portal", PORTAL | {"last_published_at": "2023-11-04"}, False),
    ("Portal", PORTAL | {"last_published_at": 1699065000}, False),
    ("Portal", PORTAL | {"last_published_at": "20231104"}, False),
    ("Portal", {k: v for k, v in PORTAL.items() if k != "last_published_at"}, False),
    ("Portal", PORTAL | {"kind": "Provincial"}, False),
    ("Portal", PORTAL | {"url": "ftp://942.soctrang.gov.vn"}, False),
    ("Portal", PORTAL | {"portal_id": ""}, False),
    ("Portal", PORTAL | {"unit_code": "   "}, False),
    ("DossierUnit", DOSSIER, True),
    ("DossierUnit", DOSSIER | {"overdue_count": 0}, True),
    ("DossierUnit", DOSSIER | {"overdue_count": -1}, False),
    ("DossierUnit", DOSSIER | {"overdue_count": "3"}, False),
    ("DossierUnit", DOSSIER | {"overdue_count": True}, False),
    ("DossierUnit", DOSSIER | {"overdue_count": None}, False),
    ("DossierUnit", {"unit_code": "31570"}, False),
    ("DossierUnit", DOSSIER | {"unit_code": ""}, False),
]


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    loaded = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def schemas(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["components"]["schemas"]


def validator(doc: dict[str, Any], name: str) -> Any:
    """A JSON Schema 2020-12 validator for one component schema, $refs resolved in the doc."""
    jsonschema = pytest.importorskip("jsonschema")
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    registry = Registry().with_resource(
        "urn:metrics-api", Resource(contents=doc, specification=DRAFT202012)
    )
    schema = {"$ref": f"urn:metrics-api#/components/schemas/{name}"}
    return jsonschema.Draft202012Validator(schema, registry=registry)


def accepted_by_model(model: type[BaseModel], item: Any) -> bool:
    try:
        model.model_validate(item)
    except ValidationError:
        return False
    return True


def test_openapi_31_with_both_paths(doc: dict[str, Any]) -> None:
    assert str(doc["openapi"]).startswith("3.1")
    assert set(doc["paths"]) == {"/portals", "/dossiers/overdue"}
    for path, page in (("/portals", "PortalsPage"), ("/dossiers/overdue", "DossiersPage")):
        get = doc["paths"][path]["get"]
        ok = get["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok == {"$ref": f"#/components/schemas/{page}"}
        assert {"401", "5XX"} <= set(get["responses"])
        params = {p["$ref"].rsplit("/", 1)[-1] for p in get["parameters"]}
        assert params == {"page", "page_size"}
    scheme = doc["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert doc["security"] == [{"bearerAuth": []}]


def test_envelope(doc: dict[str, Any]) -> None:
    for item, page in PAGES.items():
        envelope = schemas(doc)[page]
        assert set(envelope["required"]) == {"items", "next_page"}
        assert envelope["properties"]["items"]["items"] == {"$ref": f"#/components/schemas/{item}"}
        assert envelope["properties"]["next_page"] == {"$ref": "#/components/schemas/NextPage"}
    assert set(schemas(doc)["NextPage"]["type"]) == {"string", "null"}


def test_openapi_document_is_valid(doc: dict[str, Any]) -> None:
    validator_module = pytest.importorskip("openapi_spec_validator")
    validator_module.validate(doc)


@pytest.mark.parametrize(("name", "model"), [(name, model) for name, model, _ in ITEMS])
def test_doc_requires_what_the_model_requires(
    doc: dict[str, Any], name: str, model: type[BaseModel]
) -> None:
    schema = schemas(doc)[name]
    required = {field for field, info in model.model_fields.items() if info.is_required()}
    assert required, f"{model.__name__} has no required field"
    assert required <= set(schema["required"]), f"{name}: required in the code, not in the doc"
    assert set(schema["required"]) <= required, f"{name}: required in the doc, not in the code"
    assert set(model.model_fields) <= set(schema["properties"])
    assert schema["additionalProperties"] is True
    assert model.model_config.get("extra") == "ignore"


def test_portal_kinds_match_the_model(doc: dict[str, Any]) -> None:
    kinds = set(get_args(PortalRecord.model_fields["kind"].annotation))
    assert set(schemas(doc)["Portal"]["properties"]["kind"]["enum"]) == kinds


@pytest.mark.parametrize(("name", "model", "sample"), ITEMS)
def test_sample_items_judged_alike_by_doc_and_code(
    doc: dict[str, Any], name: str, model: type[BaseModel], sample: str
) -> None:
    """Every bundled sample item is valid under the doc's schema exactly when records.py
    accepts it. The dossiers sample holds one deliberately bad item."""
    page = json.loads((SAMPLES / sample).read_text(encoding="utf-8"))
    check = validator(doc, name)
    rejected = []
    for index, item in enumerate(page["items"]):
        by_doc = check.is_valid(item)
        assert by_doc == accepted_by_model(model, item), f"{sample} item {index}: {item}"
        if not by_doc:
            rejected.append(item)
    if name == "Portal":
        assert rejected == []
        assert validator(doc, PAGES[name]).is_valid(page)
    else:
        assert rejected == [{"unit_code": "STC", "overdue_count": "nhiều"}]
        assert validator(doc, PAGES[name]).is_valid(page | {"items": []})


@pytest.mark.parametrize(("name", "item", "valid"), EDGE_CASES)
def test_edge_cases_judged_alike_by_doc_and_code(
    doc: dict[str, Any], name: str, item: dict[str, Any], valid: bool
) -> None:
    model = {n: m for n, m, _ in ITEMS}[name]
    assert accepted_by_model(model, item) is valid
    assert validator(doc, name).is_valid(item) is valid


def test_markdown_embeds_the_same_document() -> None:
    text = (DOCS / "metrics-api.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```yaml\n(.*?)^```$", text, flags=re.DOTALL | re.MULTILINE)
    assert blocks == [OPENAPI.read_text(encoding="utf-8")]
