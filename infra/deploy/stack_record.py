"""What the deployer made, recorded as a CloudFormation stack on the endpoint.

CloudFormation keeps, for each stack, the template as submitted, the parameters (NoEcho ones as
``****``), every resource's logical id, physical id and type, and the resolved Outputs; the SAM
CLI's ``--stack-name`` commands and ``aws cloudformation describe-stacks|list-stack-resources|
get-template`` read them. The embedded cloud takes the record at ``PUT
/_local/cloudformation/stacks/<name>`` (``infra/cloud/cloudformation.py``); an endpoint without
that route (LocalStack) keeps none, which is said and not an error.
"""
from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from typing import Any

log = logging.getLogger("deployer")


def stack_record(result: Any, template_body: str, cfn: dict[str, Any], region: str) -> dict[str, Any]:
    """The record of a deployed ``StackResult`` (``cfn``: the template after the SAM transform)."""
    declared = cfn.get("Parameters", {})
    return {
        "Region": region,
        "TemplateBody": template_body,
        "Description": cfn.get("Description"),
        "Parameters": [{"ParameterKey": name,
                        "ParameterValue": "****" if declared[name].get("NoEcho") else str(value)}
                       for name, value in result.parameters.items() if name in declared],
        "Resources": [{"LogicalResourceId": lid, "PhysicalResourceId": str(made.ref),
                       "ResourceType": result.resource_types[lid]} for lid, made in result.resources.items()],
        "Outputs": [{"OutputKey": key, "OutputValue": value if isinstance(value, str) else json.dumps(value),
                     **({"Description": cfn["Outputs"][key]["Description"]}
                        if "Description" in cfn["Outputs"][key] else {})}
                    for key, value in result.outputs.items()],
    }


def record_stack(endpoint_url: str, stack_name: str, record: dict[str, Any]) -> str | None:
    """Sends the record; returns the stack's status (CREATE_COMPLETE, UPDATE_COMPLETE) or None."""
    request = urllib.request.Request(f"{endpoint_url.rstrip('/')}/_local/cloudformation/stacks/{stack_name}",
                                     data=json.dumps(record).encode(), method="PUT",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status = json.load(response)["StackStatus"]
    except (urllib.error.HTTPError, ValueError, KeyError, TypeError) as exc:   # another endpoint's answer
        log.warning("%s keeps no CloudFormation stack record (%s): the resources are deployed, "
                    "`--stack-name` tools will not find them", endpoint_url, exc)
        return None
    log.info("stack %s: %s", stack_name, status)
    return status
