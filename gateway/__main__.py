"""python -m gateway: serve one deployed REST API stage on a local port."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from .run import start_gateway, stop_gateway


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m gateway", description=__doc__)
    p.add_argument("--endpoint-url", default="http://127.0.0.1:4566", help="AWS-compatible endpoint (default %(default)s)")
    p.add_argument("--region", default="us-east-1", help="region (default %(default)s)")
    p.add_argument("--rest-api-name", default="retail-api", help="name of the deployed REST API (default %(default)s)")
    p.add_argument("--stage", default="prod", help="stage to serve (default %(default)s)")
    p.add_argument("--host", default="127.0.0.1", help="bind address (default %(default)s)")
    p.add_argument("--port", type=int, default=8000, help="port, 0 for any free port (default %(default)s)")
    p.add_argument("--access-log", default=None, help="JSON-lines access log file, '-' for stdout (default: none)")
    p.add_argument("--refresh-interval", type=float, default=5.0, help="seconds between configuration reads (default %(default)s)")
    p.add_argument("--integration-timeout", type=float, default=None, help="seconds; overrides each integration's timeout (29 s)")
    p.add_argument("--log-level", default="INFO", help="logging level (default %(default)s)")
    p.add_argument("--no-cloudwatch-metrics", action="store_true",
                   help="do not publish API Gateway's CloudWatch metrics to the endpoint")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s")
    done = threading.Event()

    def _stop(signum: int, frame: object) -> None:
        done.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    gw, publisher = start_gateway(args.endpoint_url, args.region, args.rest_api_name, args.stage, args.host,
                                  args.port, args.access_log, refresh_interval=args.refresh_interval,
                                  integration_timeout=args.integration_timeout,
                                  cloudwatch_metrics=not args.no_cloudwatch_metrics)
    print(f"gateway listening on {gw.url} (rest api {args.rest_api_name!r}, stage {args.stage!r})", file=sys.stderr, flush=True)
    try:
        while not done.wait(1.0):
            pass
    finally:
        stop_gateway(gw, publisher)
    return 0


if __name__ == "__main__":
    sys.exit(main())
