"""`ioc-alerts directory load`: make the directory table hold a file's units."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from ioc_alerts.adapters.directory_table import DirectoryChanges, DirectoryTable
from ioc_alerts.adapters.models import bind_tables
from ioc_alerts.directory import Directory


def sync_directory(
    directory: Directory,
    table: str,
    *,
    region: str | None = None,
    prune: bool = False,
    dry_run: bool = False,
) -> DirectoryChanges:
    region = (
        region
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION", "ap-southeast-1")
    )
    bind_tables({"directory": table}, region)
    return DirectoryTable().write(directory, datetime.now(UTC), prune=prune, dry_run=dry_run)
