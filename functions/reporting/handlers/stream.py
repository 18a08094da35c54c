"""ReportingStreamFunction: DynamoDB stream records of retail sales, retail returns and
e-commerce orders -> the daily aggregates the reports read (``logic.ingest``).

Wired in template.yaml with ``Type: DynamoDB`` events and ``FunctionResponseTypes:
[ReportBatchItemFailures]``: the response names the records Lambda must deliver again.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from reporting.logic import ingest
from reporting.settings import AggregatesSettings, ProcessedEventsSettings, SourceTablesSettings
from shared.settings import handler_settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@logger.inject_lambda_context
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler
@handler_settings(AggregatesSettings, ProcessedEventsSettings, SourceTablesSettings)
@event_source(data_class=DynamoDBStreamEvent)
def lambda_handler(event: DynamoDBStreamEvent, context: LambdaContext) -> dict:
    return ingest.handle(event)
