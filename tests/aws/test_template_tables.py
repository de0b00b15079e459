"""template.yaml and the pynamodb models declare the same tables: keys, key attribute
types, indexes (keys and projection) and TTL attribute; and every table has point-in-time
recovery and encryption on. The models are the source of truth; the template must follow."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from pynamodb.attributes import TTLAttribute
from pynamodb.indexes import GlobalSecondaryIndex, Index
from pynamodb.models import Model

from ioc_alerts.adapters.models import TABLE_MODELS
from ioc_alerts.local.provision import load_template

# TableName: !Sub ioc-alerts-<key>-${Stage}, where <key> is the model's key in TABLE_MODELS.
TABLE_NAME = re.compile(r"ioc-alerts-(?P<key>[a-z]+)-\$\{Stage\}")
Shape = dict[str, Any]


def template_tables(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each DynamoDB table's properties, by the key of its model."""
    tables = {}
    for logical, resource in template["Resources"].items():
        if resource["Type"] != "AWS::DynamoDB::Table":
            continue
        name = resource["Properties"]["TableName"]
        match = TABLE_NAME.fullmatch(name.get("Fn::Sub", "") if isinstance(name, dict) else "")
        assert match, f"{logical}: TableName {name!r} is not !Sub ioc-alerts-<key>-${{Stage}}"
        tables[match["key"]] = resource["Properties"]
    return tables


def _keys(schema: list[dict[str, str]]) -> dict[str, str]:
    return {key["KeyType"]: key["AttributeName"] for key in schema}


def _projection(projection: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    return projection["ProjectionType"], tuple(sorted(projection.get("NonKeyAttributes", [])))


def template_shape(props: dict[str, Any]) -> Shape:
    indexes = {
        index["IndexName"]: {
            "kind": kind,
            "keys": _keys(index["KeySchema"]),
            "projection": _projection(index["Projection"]),
        }
        for kind, section in (
            ("global", "GlobalSecondaryIndexes"),
            ("local", "LocalSecondaryIndexes"),
        )
        for index in props.get(section, [])
    }
    ttl = props.get("TimeToLiveSpecification")
    return {
        "keys": _keys(props["KeySchema"]),
        "attribute_types": {
            a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]
        },
        "indexes": indexes,
        "ttl": ttl["AttributeName"] if ttl and ttl.get("Enabled") else None,
        "billing_mode": props.get("BillingMode"),
    }


def _index_keys(index: Index[Any]) -> dict[str, str]:
    keys = {}
    for attribute in index.Meta.attributes.values():
        if attribute.is_hash_key:
            keys["HASH"] = attribute.attr_name
        if attribute.is_range_key:
            keys["RANGE"] = attribute.attr_name
    return keys


def model_shape(model: type[Model]) -> Shape:
    attributes = model.get_attributes()
    by_name = {a.attr_name: a for a in attributes.values()}
    keys = {"HASH": model._hash_keyname}
    if model._range_keyname:
        keys["RANGE"] = model._range_keyname
    indexes = {
        name: {
            "kind": "global" if isinstance(index, GlobalSecondaryIndex) else "local",
            "keys": _index_keys(index),
            "projection": (
                index.Meta.projection.projection_type,
                tuple(sorted(index.Meta.projection.non_key_attributes or [])),
            ),
        }
        for name, index in model._indexes.items()
    }
    # DynamoDB wants exactly the attributes that key the table or one of its indexes.
    key_names = set(keys.values()) | {n for i in indexes.values() for n in i["keys"].values()}
    ttl = [a.attr_name for a in attributes.values() if isinstance(a, TTLAttribute)]
    return {
        "keys": keys,
        "attribute_types": {name: by_name[name].attr_type for name in key_names},
        "indexes": indexes,
        "ttl": ttl[0] if ttl else None,
        "billing_mode": getattr(model.Meta, "billing_mode", None),
    }


TEMPLATE = load_template()
TABLES = template_tables(TEMPLATE)


def test_the_template_declares_a_table_for_every_model_and_no_other() -> None:
    assert sorted(TABLES) == sorted(TABLE_MODELS)


@pytest.mark.parametrize("key", sorted(TABLE_MODELS))
def test_the_template_table_matches_its_model(key: str) -> None:
    assert key in TABLES, f"template.yaml has no table ioc-alerts-{key}-${{Stage}}"
    assert template_shape(TABLES[key]) == model_shape(TABLE_MODELS[key])


def unprotected(props: dict[str, Any]) -> list[str]:
    """What a table lacks of the protection every table must have."""
    missing = []
    if props.get("PointInTimeRecoverySpecification") != {"PointInTimeRecoveryEnabled": True}:
        missing.append("point-in-time recovery")
    if props.get("SSESpecification", {}).get("SSEEnabled") is not True:
        missing.append("server-side encryption")
    return missing


@pytest.mark.parametrize("key", sorted(TABLES))
def test_every_table_has_point_in_time_recovery_and_encryption(key: str) -> None:
    assert unprotected(TABLES[key]) == []


def _rename_gsi_range_key(props: dict[str, Any]) -> None:
    props["GlobalSecondaryIndexes"][0]["KeySchema"][1]["AttributeName"] = "unit_code"


def _rename_index(props: dict[str, Any]) -> None:
    props["GlobalSecondaryIndexes"][0]["IndexName"] = "by_day"


def _project_keys_only(props: dict[str, Any]) -> None:
    props["GlobalSecondaryIndexes"][0]["Projection"] = {"ProjectionType": "KEYS_ONLY"}


def _swap_table_keys(props: dict[str, Any]) -> None:
    props["KeySchema"] = [
        {"AttributeName": "key", "KeyType": "HASH"},
        {"AttributeName": "unit", "KeyType": "RANGE"},
    ]


def _number_date(props: dict[str, Any]) -> None:
    props["AttributeDefinitions"][2]["AttributeType"] = "N"


def _rename_ttl(props: dict[str, Any]) -> None:
    props["TimeToLiveSpecification"]["AttributeName"] = "ttl"


def _disable_ttl(props: dict[str, Any]) -> None:
    props["TimeToLiveSpecification"]["Enabled"] = False


def _drop_index(props: dict[str, Any]) -> None:
    del props["GlobalSecondaryIndexes"]


def _extra_attribute_definition(props: dict[str, Any]) -> None:
    props["AttributeDefinitions"].append({"AttributeName": "rule", "AttributeType": "S"})


@pytest.mark.parametrize(
    "drift",
    [
        _rename_gsi_range_key,
        _rename_index,
        _project_keys_only,
        _swap_table_keys,
        _number_date,
        _rename_ttl,
        _disable_ttl,
        _drop_index,
        _extra_attribute_definition,
    ],
)
def test_a_template_that_drifts_from_the_model_is_caught(drift: Any) -> None:
    # Given a copy of the template whose breaches table was edited by hand
    edited = copy.deepcopy(TEMPLATE)
    props = template_tables(edited)["breaches"]
    drift(props)
    # Then the comparison that guards the real template finds the difference
    assert template_shape(props) != model_shape(TABLE_MODELS["breaches"])


def test_a_table_named_outside_the_convention_is_caught() -> None:
    edited = copy.deepcopy(TEMPLATE)
    edited["Resources"]["RunsTable"]["Properties"]["TableName"] = "runs"
    with pytest.raises(AssertionError, match="RunsTable"):
        template_tables(edited)


@pytest.mark.parametrize(
    ("section", "value", "missing"),
    [
        ("PointInTimeRecoverySpecification", None, "point-in-time recovery"),
        (
            "PointInTimeRecoverySpecification",
            {"PointInTimeRecoveryEnabled": False},
            "point-in-time recovery",
        ),
        ("SSESpecification", None, "server-side encryption"),
        ("SSESpecification", {"SSEEnabled": False}, "server-side encryption"),
    ],
)
def test_a_table_without_its_protection_is_caught(
    section: str, value: dict[str, bool] | None, missing: str
) -> None:
    props = template_tables(copy.deepcopy(TEMPLATE))["runs"]
    if value is None:
        del props[section]
    else:
        props[section] = value
    assert unprotected(props) == [missing]
