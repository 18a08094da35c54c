"""The REST API's Lambda REQUEST authorizer: an API key's role tag decides which routes it may call.

``handlers/`` is the Lambda entry (x-api-key -> IAM policy), ``logic/`` turns a key into its
role and the role into a policy (the table is ``shared/roles.py``), ``dal/`` reads the API keys
from API Gateway (GetApiKeys with their values and tags), cached in the worker.
"""
