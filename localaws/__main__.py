"""`python -m localaws`: serve the local AWS stack until Ctrl-C.

Prints the endpoint and the resource names, plus the exports that point a
shell (the AWS CLI, `sam local`, scripts, `apibrake --stack NAME`) at it. The
stack's outputs are also in CloudFormation (describe-stacks); with --lambda the
template's functions answer Lambda's Invoke API too (AWS_ENDPOINT_URL_LAMBDA).
"""

from __future__ import annotations

import argparse
from contextlib import ExitStack

from localaws.lambda_process import LocalLambda
from localaws.stack import LocalAws
from localaws.until_stopped import stop_on_signals, wait_until_stopped


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m localaws", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: free)")
    parser.add_argument("--stack-name", default="apibrake")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument(
        "--lambda",
        dest="serve_lambda",
        action="store_true",
        help="also serve the functions through Lambda's Invoke API (handlers in-process)",
    )
    args = parser.parse_args(argv)

    stop_on_signals()
    with ExitStack() as running:
        aws = running.enter_context(
            LocalAws(stack_name=args.stack_name, region=args.region, port=args.port)
        )
        aws.create_stack()
        print(f"moto serving on {aws.endpoint_url}")
        print("\n# point a shell here:")
        print(f"export AWS_ENDPOINT_URL={aws.endpoint_url}")
        if args.serve_lambda:
            functions = running.enter_context(LocalLambda(aws))
            print(f"export AWS_ENDPOINT_URL_LAMBDA={functions.endpoint_url}")
        print("export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing")
        print(f"export AWS_DEFAULT_REGION={aws.region}")
        print(
            f"\n# stack outputs (aws cloudformation describe-stacks --stack-name {aws.stack_name}):"
        )
        for name, value in aws.outputs().items():
            print(f"{name}={value}")
        print("\nCtrl-C to stop.", flush=True)
        wait_until_stopped()
        print("stopped")


if __name__ == "__main__":
    main()
