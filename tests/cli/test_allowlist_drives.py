"""A CSV allowlist can say which other connections an automation drives."""

from __future__ import annotations

from apibrake_cli.allowlist_files import read_csv


def test_csv_drives_column_splits_on_semicolons_and_spaces() -> None:
    rows = read_csv(
        "connection_id,automation,drives\n"
        "hs-portal,workflow:2001,sf-prod; sf-sandbox\n"
        "hs-portal,workflow:2002,\n"
    )
    assert rows[0][1]["drives"] == ["sf-prod", "sf-sandbox"]
    assert "drives" not in rows[1][1]
