"""python -m infra.deploy --endpoint-url http://127.0.0.1:4566 [--seed] [--parameter-overrides K=V ...]"""
from __future__ import annotations

import argparse
import json
import logging
import os
from pathlib import Path

from infra.deploy.deployer import ROOT, deploy, write_state


def main() -> None:
    parser = argparse.ArgumentParser(description="Deploy template.yaml to an AWS-compatible endpoint.")
    parser.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"))
    parser.add_argument("--region", default=os.environ.get("AWS_REGION", "us-east-1"))
    parser.add_argument("--stack-name", default="retail")
    parser.add_argument("--template", type=Path, default=ROOT / "template.yaml")
    parser.add_argument("--parameter-overrides", nargs="*", default=[], metavar="KEY=VALUE")
    parser.add_argument("--seed", action="store_true", help="load the demo data set after deploying")
    parser.add_argument("--bundle-dependencies", action="store_true",
                        help="vendor functions/requirements.txt into the package (LocalStack runs "
                             "functions in its own containers; the embedded cloud uses the project venv)")
    parser.add_argument("--state-file", type=Path, default=ROOT / ".local" / "stack.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)
    logging.getLogger("samtranslator").setLevel(logging.ERROR)  # feature-toggle chatter
    overrides = dict(item.split("=", 1) for item in args.parameter_overrides)
    result = deploy(args.endpoint_url, template_path=args.template, stack_name=args.stack_name,
                    region=args.region, parameters=overrides,
                    bundle_dependencies=args.bundle_dependencies)
    write_state(result, args.state_file)
    if args.seed:
        from infra.seed import seed_all

        print(json.dumps(seed_all(result, args.endpoint_url, args.region), indent=2))
    print(json.dumps(result.outputs, indent=2, default=str))


if __name__ == "__main__":
    main()
