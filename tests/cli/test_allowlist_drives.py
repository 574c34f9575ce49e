"""A CSV allowlist can say which other connections an automation drives."""

from __future__ import annotations

from pathlib import Path

from apibrake.store.allowlist import AllowlistStore
from apibrake.store.items import to_item
from apibrake_cli.allowlist_files import read_csv
from localaws import LocalAws
from tests.cli.conftest import Run


def test_csv_drives_column_splits_on_semicolons_and_spaces() -> None:
    rows = read_csv(
        "connection_id,automation,drives\n"
        "hs-portal,workflow:2001,sf-prod; sf-sandbox\n"
        "hs-portal,workflow:2002,\n"
    )
    assert rows[0][1]["drives"] == ["sf-prod", "sf-sandbox"]
    assert "drives" not in rows[1][1]


def test_importing_again_indexes_an_entry_stored_before_the_drives_index(
    connected: Run, aws: LocalAws
) -> None:
    # Given hs-local's workflow stored as before the DrivesIndex: drives sf-local, no marker
    table = aws.table_name("AllowlistTable")
    dynamodb = aws.client("dynamodb")
    dynamodb.put_item(
        TableName=table,
        Item=to_item(
            {
                "connection_id": "hs-local",
                "automation": "workflow:101",
                "tier": 1,
                "drives": ["sf-local"],
                "label": "Lifecycle stage sync",
            }
        ),
    )
    store = AllowlistStore(dynamodb, table)
    assert store.driving_any({"sf-local"}) == {}
    # When the same allowlist is imported again (unchanged)
    Path("allow.csv").write_text(
        "connection_id,automation,drives\nhs-local,workflow:101,sf-local\n", encoding="utf-8"
    )
    imported = connected("allowlist", "import", "allow.csv")
    # Then a brake's linked-brake lookup finds it
    assert imported.exit_code == 0, imported.output
    assert list(store.driving_any({"sf-local"})) == ["hs-local"]
