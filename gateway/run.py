"""Start and stop the gateway with its CloudWatch metrics publisher (used by ``python -m
gateway`` and by the embedded cloud, which serves the gateway from its own process)."""

from __future__ import annotations

from .cloudwatch import CloudWatchPublisher
from .server import GatewayServer


def start_gateway(endpoint_url: str, region: str, rest_api_name: str, stage: str, host: str, port: int,
                  access_log: str | None, *, refresh_interval: float = 5.0, integration_timeout: float | None = None,
                  cloudwatch_metrics: bool = True, invoker=None, logs_client=None,
                  cloudwatch_client=None) -> tuple[GatewayServer, CloudWatchPublisher | None]:
    """The gateway with its CloudWatch metrics publisher, started; ``stop_gateway`` undoes it.
    ``invoker`` replaces the Lambda Invoke API call (the embedded cloud hands requests to its
    Lambda runtime in-process); ``logs_client``/``cloudwatch_client`` replace the boto3 clients
    of the access log and the metrics publisher."""
    gw = GatewayServer(endpoint_url, region, rest_api_name, stage, host, port, access_log,
                       refresh_interval=refresh_interval, integration_timeout=integration_timeout, invoker=invoker,
                       cloudwatch_logs_client=logs_client)
    publisher = None
    if cloudwatch_metrics:
        publisher = CloudWatchPublisher(endpoint_url, region, rest_api_name, stage, client=cloudwatch_client).start()
        gw.add_listener(publisher.record)
    try:
        gw.start()
    except BaseException:
        if publisher is not None:
            publisher.stop()
        raise
    return gw, publisher


def stop_gateway(gw: GatewayServer, publisher: CloudWatchPublisher | None) -> None:
    gw.stop()
    if publisher is not None:
        publisher.stop()
