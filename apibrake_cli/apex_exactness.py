"""Setup-time warnings for scheduled Apex jobs apibrake could not put back exactly.

At setup a person can fix the cause calmly (have the integration user own the job, in its
time zone; give the class a public constructor) or accept an inexact restore on the entry;
during an incident such an entry is left running and handed to a person instead.
`allowlist add` reads the job as the brake does (its existence check); that read says what
would differ.
"""

from __future__ import annotations


def advice(name: str, differs: list[str]) -> str:
    return (
        f"scheduled_apex:{name} would not come back exactly ({'; '.join(differs)}): the brake "
        "will leave it running and ask a person, unless you fix that now or re-add the entry "
        "with --allow-inexact-restore"
    )
