"""`python -m sandbox`: serve a Salesforce org and a HubSpot portal on 127.0.0.1."""

from __future__ import annotations

import argparse
import os
import signal
import threading

from sandbox.clock import VirtualClock
from sandbox.hubspot import HubSpotSettings
from sandbox.salesforce import SalesforceSettings
from sandbox.scenarios import SCENARIOS
from sandbox.server import Sandbox


def _parser() -> argparse.ArgumentParser:
    env = os.environ.get
    sf_defaults, hs_defaults = SalesforceSettings(), HubSpotSettings()
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--salesforce-port", type=int, default=0, help="0 = a free port")
    parser.add_argument("--hubspot-port", type=int, default=0, help="0 = a free port")
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="quiet")
    parser.add_argument("--latency-ms", type=int, default=0, help="added to every response")
    parser.add_argument(
        "--speed", type=float, default=60.0, help="simulated seconds per real second (0 = frozen)"
    )
    parser.add_argument(
        "--salesforce-client-id",
        default=env("SANDBOX_SALESFORCE_CLIENT_ID", sf_defaults.client_id),
    )
    parser.add_argument(
        "--salesforce-client-secret",
        default=env("SANDBOX_SALESFORCE_CLIENT_SECRET", sf_defaults.client_secret),
    )
    parser.add_argument("--hubspot-token", default=env("SANDBOX_HUBSPOT_TOKEN", hs_defaults.token))
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("the sandbox only serves on loopback (127.0.0.1, localhost, ::1)")
    sandbox = Sandbox(
        clock=VirtualClock(speed=args.speed),
        salesforce=SalesforceSettings(
            client_id=args.salesforce_client_id, client_secret=args.salesforce_client_secret
        ),
        hubspot=HubSpotSettings(token=args.hubspot_token),
        host=args.host,
        salesforce_port=args.salesforce_port,
        hubspot_port=args.hubspot_port,
        latency_ms=args.latency_ms,
    )
    SCENARIOS[args.scenario](sandbox)
    sandbox.start()
    print(f"salesforce {sandbox.salesforce_url}", flush=True)
    print(f"hubspot {sandbox.hubspot_url}", flush=True)
    print(
        "credentials: salesforce client_id="
        f"{args.salesforce_client_id} client_secret={args.salesforce_client_secret}; "
        f"hubspot token={args.hubspot_token}",
        flush=True,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
