"""The state table's item keys (pk / sk), in one place: the stores write and query them,
the tests that read the table directly build and scan them with the same functions.

- reading#<connection_id>     / <ISO time>#<source>   one usage reading, expires with a TTL
- alert#<connection_id>       / <alert key>           an alert claim, live until its window
                                                      ends (pending until its publish is
                                                      confirmed)
- incident#<incident_id>      / meta                  the incident header
- incident#<incident_id>      / row#<kind>:<name>     one journal row per automation
- open#<connection_id>        / incident              the connection's open incident, if any
- generation                  / closed                bumped by every close (journal.py)
- cadence#<shard>             / <connection_id>       when the monitor last checked it, how hot,
                                                      when it is due (`due_at`: the fleet
                                                      planner's due index), its lease
- fleet                       / sweep                 when the fleet planner last swept
- rehearsal#<connection_id>   / <kind>                the last rehearsal of that kind
                                                      (`apibrake rehearse`)
- released#<connection_id>    / <kind>:<name>         a driver of a burn released unchanged
                                                      (`include`): when, which incident (TTL
                                                      3 days: a new burn it drives escalates)
- debugging#<connection_id>   / <ISO time>#<id>       one DebuggingHeader call the break-glass
                                                      channel spent (TTL a day and an hour)
- entitlement#<connection_id> / latest               the org's kind and 30-day API entitlement
                                                      (read daily: may it run past 100 %?)
- attribution#<connection_id> / daily#<YYYY-MM-DD>    a day's ApiTotalUsage summary (TTL)
- attribution#<connection_id> / unavailable#<source>  a source the org refused (TTL)
- attribution#<connection_id> / missed#<YYYY-MM-DD>   a day whose daily file was not
                                                      published yet when collected (TTL)

A key is a plain string here; the stores wrap it (`{"S": ...}`) where the low-level API
wants it.
"""

from __future__ import annotations

import zlib
from datetime import UTC, date, datetime

# Readings ---------------------------------------------------------------------------------


def reading_pk(connection_id: str) -> str:
    return f"reading#{connection_id}"


def reading_sk(taken_at: datetime, source: str) -> str:
    """The source in the key keeps a header reading taken in the same instant as an endpoint
    reading from overwriting it; `sk >= <ISO time>` queries (`reading_since`) still work."""
    return f"{reading_since(taken_at)}#{source}"


def reading_since(moment: datetime) -> str:
    """The lower bound of a `sk >= :since` query for the readings from `moment` on."""
    return moment.astimezone(UTC).isoformat()


# Break-glass calls -------------------------------------------------------------------------


def debugging_pk(connection_id: str) -> str:
    return f"debugging#{connection_id}"


def entitlement_pk(connection_id: str) -> str:
    return f"entitlement#{connection_id}"


# Alert claims -----------------------------------------------------------------------------


def alert_pk(connection_id: str) -> str:
    return f"alert#{connection_id}"


# Incidents --------------------------------------------------------------------------------

INCIDENT_PREFIX = "incident#"
META_SK = "meta"
ROW_PREFIX = "row#"
OPEN_PREFIX = "open#"
OPEN_SK = "incident"
GENERATION_PK = "generation"
GENERATION_SK = "closed"


def incident_pk(incident_id: str) -> str:
    return f"{INCIDENT_PREFIX}{incident_id}"


def incident_id_of(pk: str) -> str:
    return pk.removeprefix(INCIDENT_PREFIX)


def row_sk(automation: str) -> str:
    """`automation` is the row's `<kind>:<name>`."""
    return f"{ROW_PREFIX}{automation}"


def is_incident_meta(pk: str, sk: str) -> bool:
    return pk.startswith(INCIDENT_PREFIX) and sk == META_SK


def is_journal_row(pk: str, sk: str) -> bool:
    return pk.startswith(INCIDENT_PREFIX) and sk.startswith(ROW_PREFIX)


def open_pk(connection_id: str) -> str:
    return f"{OPEN_PREFIX}{connection_id}"


def connection_of_open(pk: str) -> str:
    return pk.removeprefix(OPEN_PREFIX)


# Cadence, rehearsals, drivers released unchanged ------------------------------------------

# Cadence items spread over this many partitions: a fleet's check writes never queue behind
# one partition, and the planner reads them side by side.
CADENCE_SHARDS = 8
SWEEP_PK = "fleet"  # / sweep: when the planner last added new connections to the index


def cadence_shard(connection_id: str) -> str:
    """A stable shard (crc32, not Python's salted hash) of the connection's cadence item."""
    return str(zlib.crc32(connection_id.encode("utf-8")) % CADENCE_SHARDS)


def cadence_pk(connection_id: str) -> str:
    return f"cadence#{cadence_shard(connection_id)}"


def cadence_pks() -> list[str]:
    return [f"cadence#{shard}" for shard in range(CADENCE_SHARDS)]


def rehearsal_pk(connection_id: str) -> str:
    return f"rehearsal#{connection_id}"


def released_pk(connection_id: str) -> str:
    return f"released#{connection_id}"


# Attribution ------------------------------------------------------------------------------

DAILY_PREFIX = "daily#"
MISSED_PREFIX = "missed#"
UNAVAILABLE_PREFIX = "unavailable#"


def attribution_pk(connection_id: str) -> str:
    return f"attribution#{connection_id}"


def daily_sk(day: date) -> str:
    return f"{DAILY_PREFIX}{day.isoformat()}"


def missed_sk(day: date) -> str:
    return f"{MISSED_PREFIX}{day.isoformat()}"


def missed_day_of(sk: str) -> date:
    return date.fromisoformat(sk.removeprefix(MISSED_PREFIX))


def unavailable_sk(source_name: str) -> str:
    return f"{UNAVAILABLE_PREFIX}{source_name}"


def unavailable_source_of(sk: str) -> str:
    return sk.removeprefix(UNAVAILABLE_PREFIX)
