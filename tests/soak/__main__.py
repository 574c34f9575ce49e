"""`python -m tests.soak [--seed N] [--days N]`: runs the soak and prints its table.

Exits 1 when a must-be-zero line is not zero.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
import time

from localaws import LocalAws
from tests.soak.run import Soak, SoakOptions, fast_platform_retries
from tests.soak.table import table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.soak", description=__doc__)
    parser.add_argument("--seed", type=int, default=None, help="default: a random one, printed")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--pairs", type=int, default=3, help="Salesforce + HubSpot pairs")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(2**31)
    print(f"soak: seed {seed} ({args.days} days, {2 * args.pairs} connections)", flush=True)
    # The functions log every call as JSON; the soak's answer is its table.
    os.environ["POWERTOOLS_LOG_LEVEL"] = "CRITICAL"
    logging.disable(logging.ERROR)
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"  # no EMF lines on stdout
    fast_platform_retries()
    started = time.monotonic()
    with LocalAws() as aws:
        soak = Soak(SoakOptions(seed=seed, days=args.days, pairs=args.pairs), aws)
        try:
            counts = soak.run(progress=lambda line: print(line, file=sys.stderr, flush=True))
            verdicts = soak.verdicts()
        finally:
            soak.close()
        lines, ok = table(soak, counts, verdicts, time.monotonic() - started)
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
