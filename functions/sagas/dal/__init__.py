"""The saga domain's data: Step Functions executions (a saga is an execution; nothing else is stored)."""
