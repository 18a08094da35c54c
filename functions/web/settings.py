"""The web back office's environment (set in template.yaml; `chalice local` takes it from
``.chalice/config.json``), validated once per cold start."""
from __future__ import annotations

from pydantic import Field

from shared.settings import EnvSettings


class WebSettings(EnvSettings):
    # the REST API the pages call with the signed-in person's key; empty: the API and stage this
    # page was requested on (on AWS the back office is one more function of that same API)
    api_url: str = Field(default="", alias="API_URL")
    # Secrets Manager secret (ARN or name) whose value signs the session cookie
    session_secret_id: str = Field(alias="SESSION_SECRET_ID", min_length=1)
    # CloudWatch identities of the Operations page
    api_name: str = Field(alias="API_NAME", min_length=1)
    stage: str = Field(default="prod", alias="STAGE")
    # "<stack>-": the stack's alarms and functions are named with it
    resource_prefix: str = Field(alias="RESOURCE_PREFIX", min_length=1)
    metrics_namespace: str = Field(default="RetailPlatform", alias="POWERTOOLS_METRICS_NAMESPACE")
    session_max_age: int = Field(default=12 * 3600, alias="SESSION_MAX_AGE_SECONDS", gt=0)


def settings() -> WebSettings:
    return WebSettings.current()
