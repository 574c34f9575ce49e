"""HubSpot's suspects line in plain sentences, each with its full stop (issue 25 item 4):
what the reading could not say, and where HubSpot shows calls per app."""

from __future__ import annotations

from datetime import UTC, datetime

from apibrake.attribution.hubspot import hubspot_suspects
from apibrake.models.usage import ReadingSource, UsageReading
from apibrake.warn.wording import one_line, section, sentences

NOW = datetime(2026, 11, 2, 21, 58, tzinfo=UTC)


def test_a_reading_without_app_types_reads_as_two_sentences() -> None:
    reading = UsageReading(used=1, limit=2, taken_at=NOW, source=ReadingSource.USAGE_ENDPOINT)
    suspects = hubspot_suspects("hs-portal", reading, NOW)

    text = section(suspects, now=NOW, salesforce=False)

    assert text.startswith(
        "Suspects: This usage reading does not split the day's calls by app type (only "
        "HubSpot's 2027-03-beta usage endpoint does). HubSpot shows calls per app only in its "
        "own UI: "
    )
    assert text.endswith("usage-details).")
    assert "usageByAppType" not in text
    assert one_line(suspects, now=NOW, salesforce=False) == text.removeprefix("Suspects: ")


def test_notes_without_a_full_stop_get_one() -> None:
    assert sentences(["one", "two.", "three?"]) == "one. two. three?"
