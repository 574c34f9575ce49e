"""`python -m localaws`: serve the local AWS stack until Ctrl-C.

Prints the endpoint and the resource names, plus the exports that point a
shell (the AWS CLI, `sam local`, scripts) at it.
"""

from __future__ import annotations

import argparse
import threading

from localaws.stack import LocalAws


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m localaws", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: free)")
    parser.add_argument("--stack-name", default="apibrake")
    parser.add_argument("--region", default="us-east-1")
    args = parser.parse_args(argv)

    with LocalAws(stack_name=args.stack_name, region=args.region, port=args.port) as aws:
        print(f"moto serving on {aws.endpoint_url}")
        print("\n# point a shell here:")
        print(f"export AWS_ENDPOINT_URL={aws.endpoint_url}")
        print("export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing")
        print(f"export AWS_DEFAULT_REGION={aws.region}")
        print("\n# stack outputs:")
        for name, value in aws.outputs().items():
            print(f"{name}={value}")
        print("\nCtrl-C to stop.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopped")


if __name__ == "__main__":
    main()
