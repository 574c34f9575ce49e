"""What the drill shows in a terminal: usage climbing, alerts as delivered, brake, release."""

from __future__ import annotations

from datetime import datetime
from typing import TextIO

from apibrake.models.attribution import Suspects
from apibrake.models.automation_text import state_text, with_label
from apibrake.models.words import hourly_rate
from drill.engine import DrillResult, Event, Sample

BAR_WIDTH = 20
ICONS = {"alert": "!", "brake": "■", "release": "▶"}


def _bar(percent: float) -> str:
    filled = min(round(percent / 100 * BAR_WIDTH), BAR_WIDTH)
    return "█" * filled + "░" * (BAR_WIDTH - filled)


def event_line(event: Event) -> str:
    """An alert, brake or release as the drill prints it."""
    severity = f"[{event.severity}] " if event.severity else ""
    return (
        f"  {ICONS.get(event.kind, '*')} {event.at:%a %H:%M} UTC  {event.kind:<7} "
        f"{event.connection_id:<10} {severity}{event.text}"
    )


class LivePrinter:
    """Prints one usage line per connection per simulated hour and every event as it happens."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._last_hour: dict[str, datetime] = {}

    def __call__(self, item: Sample | Event) -> None:
        if isinstance(item, Event):
            print(event_line(item), file=self._out)
            if item.suspects and item.severity == "critical":  # who to blame, when it counts
                for line in item.suspects.splitlines():
                    print(f"{' ' * 19}{line}", file=self._out)
            return
        hour = item.at.replace(minute=0, second=0, microsecond=0)
        if self._last_hour.get(item.connection_id) == hour:
            return
        self._last_hour[item.connection_id] = hour
        burn = hourly_rate(item.burn_per_hour) if item.burn_per_hour is not None else ""
        burn = f"{burn:>10}"
        print(
            f"    {item.at:%a %H:%M} UTC  {item.connection_id:<10} {_bar(item.percent)} "
            f"{item.percent:6.1f}%  {item.used:>9,}/{item.limit:,}  {burn}",
            file=self._out,
        )


def print_summary(result: DrillResult, out: TextIO) -> None:
    alerts: dict[str, int] = {}
    for event in result.events:
        if event.kind == "alert":
            alerts[event.severity or "?"] = alerts.get(event.severity or "?", 0) + 1
    peak: dict[str, float] = {}
    for sample in result.samples:
        peak[sample.connection_id] = max(peak.get(sample.connection_id, 0.0), sample.percent)
    print("\nSummary", file=out)
    print("  peak usage: " + ", ".join(f"{c} {p:.1f}%" for c, p in sorted(peak.items())), file=out)
    print(
        "  alerts: " + (", ".join(f"{n} {s}" for s, n in sorted(alerts.items())) or "none"),
        file=out,
    )
    released = {
        (row["connection_id"], row["kind"], row["name"]): row
        for report in result.release_reports
        for row in report.get("rows", [])
    }
    rows = [row for report in result.brake_reports for row in report.get("rows", [])]
    # The widest recorded state sets its column (a HubSpot workflow's is the longest).
    width = max([len("braked from"), *(len(state_text(row.get("before"))) for row in rows)])
    header = f"{'automation':<48} {'braked from':<{width}} {'brake':<12} {'release':<10}"
    print(f"\n  {header}", file=out)
    for row in rows:
        key = (row["connection_id"], row["kind"], row["name"])
        after = released.get(key, {})
        automation = with_label(f"{row['kind']}:{row['name']}", row.get("label"))
        name = f"{row['connection_id']} {automation}"
        print(
            f"  {name:<48} {state_text(row.get('before')):<{width}} {row['status']:<12} "
            f"{after.get('status', 'not yet'):<10}",
            file=out,
        )


def print_critical_alert(result: DrillResult, out: TextIO) -> None:
    """The first critical alert whole, as its email says it, and as its SMS says it; and
    the chain it told (consumer → drivers)."""
    from drill.report import chain_lines, first_critical  # the report draws with matplotlib

    event = first_critical(result)
    if event is None:
        print("\nNo critical alert in this drill.", file=out)
        return
    rule = "-" * 72
    print(f"\nThe critical alert ({event.connection_id}, {event.at:%a %H:%M} UTC)", file=out)
    print(f"\n  As email: {event.text}\n  {rule}", file=out)
    for line in (event.email or event.suspects).strip().splitlines():
        print(f"  {line}".rstrip(), file=out)
    print(f"  {rule}", file=out)
    if event.sms:
        print(f"\n  As SMS ({len(event.sms)} characters):\n  {event.sms}", file=out)
    if event.chain:
        print("\n  The chain (consumer → drivers):", file=out)
        for line in chain_lines(Suspects.model_validate(event.chain)):
            print(f"  {line}", file=out)
