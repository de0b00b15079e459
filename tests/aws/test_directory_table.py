"""The directory table: a directory file written to DynamoDB reads back exactly, and a
reload reports what it adds, changes, leaves alone and finds only in the table."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from ioc_alerts.adapters.directory_table import DirectoryTable
from ioc_alerts.directory import Contact, Directory

pytestmark = pytest.mark.usefixtures("tables")

NOW = datetime(2023, 11, 1, 2, 0, tzinfo=UTC)


def without(directory: Directory, code: str) -> Directory:
    return Directory.build((u for c, u in directory.items() if c != code), source="test")


def with_new_phone(directory: Directory, code: str, phone: str) -> Directory:
    unit = directory[code]
    first, *others = unit.contacts
    changed = dataclasses.replace(unit, contacts=(dataclasses.replace(first, phone=phone), *others))
    return Directory.build((changed if c == code else u for c, u in directory.items()), source="t")


def test_the_sample_directory_round_trips_exactly(sample_directory: Directory) -> None:
    table = DirectoryTable()
    # Given an empty table
    # When the Sóc Trăng sample directory is written
    changes = table.write(sample_directory, NOW)
    # Then every unit was added, and reading the table gives back the very same directory
    assert sorted(changes.added) == sorted(sample_directory)
    assert changes.changed == changes.unchanged == changes.absent == changes.removed == []
    assert table.read().units == sample_directory.units
    assert table.get(["942", "31570", "nope"]) == {
        "942": sample_directory["942"],
        "31570": sample_directory["31570"],
    }


def test_writing_the_same_directory_again_changes_nothing(sample_directory: Directory) -> None:
    table = DirectoryTable()
    table.write(sample_directory, NOW)
    # When the same file is loaded a second time
    changes = table.write(sample_directory, NOW)
    # Then everything is reported unchanged
    assert sorted(changes.unchanged) == sorted(sample_directory)
    assert changes.added == changes.changed == changes.absent == []


def test_a_changed_contact_is_reported_and_written(sample_directory: Directory) -> None:
    table = DirectoryTable()
    table.write(sample_directory, NOW)
    # Given Huyện Châu Thành's chairman has a new phone number
    updated = with_new_phone(sample_directory, "942", "+84900019999")
    # When the updated file is loaded
    changes = table.write(updated, NOW)
    # Then only that unit is changed, and the table holds the new number
    assert changes.changed == ["942"]
    assert changes.added == []
    assert len(changes.unchanged) == len(sample_directory) - 1
    assert table.get(["942"])["942"].contacts[0] == Contact(
        name="Huỳnh Thanh Hà",
        phone="+84900019999",
        email="lanhdao1.942@example.gov.vn",
        title="Chủ tịch UBND",
    )


def test_a_unit_missing_from_the_file_is_kept_unless_pruned(sample_directory: Directory) -> None:
    table = DirectoryTable()
    table.write(sample_directory, NOW)
    # Given a file without the commune Xã Hồ Đắc Kiện
    smaller = without(sample_directory, "31570")
    # When it is loaded without prune
    kept = table.write(smaller, NOW)
    # Then the commune is reported absent but stays in the table
    assert (kept.absent, kept.removed) == (["31570"], [])
    assert "31570" in table.read()
    # And when it is loaded with prune, the commune is deleted
    pruned = table.write(smaller, NOW, prune=True)
    assert (pruned.absent, pruned.removed) == (["31570"], ["31570"])
    assert table.read().units == smaller.units


def test_a_dry_run_reports_changes_and_writes_nothing(sample_directory: Directory) -> None:
    table = DirectoryTable()
    # Given an empty table
    # When the directory is loaded as a dry run
    first = table.write(sample_directory, NOW, dry_run=True)
    # Then the additions are reported but nothing was written
    assert sorted(first.added) == sorted(sample_directory)
    assert len(table.read()) == 0
    # And a dry run with prune deletes nothing either
    table.write(sample_directory, NOW)
    changes = table.write(without(sample_directory, "31570"), NOW, prune=True, dry_run=True)
    assert changes.removed == ["31570"]
    assert table.read().units == sample_directory.units
