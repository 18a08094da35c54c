"""template.yaml -> resources on an AWS-compatible endpoint (see deployer.py)."""
from infra.deploy.deployer import StackResult, deploy, write_state

__all__ = ["StackResult", "deploy", "write_state"]
