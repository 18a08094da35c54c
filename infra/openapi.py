"""Write the OpenAPI document of the REST API, generated from the resolvers' code.

    python -m infra.openapi --output docs/openapi.json     # make openapi
    python -m infra.openapi --check docs/openapi.json      # exit 1 if the file is stale

Every domain's resolver (``app`` in ``functions/<domain>/handlers/api.py``) is discovered and
merged into one document by ``shared.openapi.build_document``; a new domain needs nothing
here. The routes wired in ``template.yaml`` (``Type: Api`` events) are compared with the
documented ones: a documented route missing from the template is unreachable through the
gateway (error); a template route without documentation is reported (warning).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS_DIR = ROOT / "functions"
TEMPLATE = ROOT / "template.yaml"
DEFAULT_OUTPUT = ROOT / "docs" / "openapi.json"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def _functions_on_path() -> None:
    if str(FUNCTIONS_DIR) not in sys.path:
        sys.path.insert(0, str(FUNCTIONS_DIR))


def build() -> dict[str, Any]:
    _functions_on_path()
    from shared.openapi import build_document

    return build_document(strict=True)


def render(document: dict[str, Any]) -> str:
    _functions_on_path()
    from shared.openapi import document_text

    return document_text(document)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """template.yaml as a dict (CloudFormation short tags such as !Ref are understood)."""
    from cfnlint.decode import decode_str

    template, matches = decode_str(path.read_text())
    if template is None:
        raise ValueError(f"cannot parse {path}: {[str(match) for match in matches]}")
    return template


def template_routes(template: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(method, path) -> logical id of the function, for every ``Type: Api`` event."""
    routes: dict[tuple[str, str], str] = {}
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for event in (resource.get("Properties", {}).get("Events") or {}).values():
            if event.get("Type") != "Api":
                continue
            properties = event.get("Properties", {})
            routes[(str(properties["Method"]).lower(), str(properties["Path"]))] = logical_id
    return routes


def documented_routes(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method, path)
        for path, item in document.get("paths", {}).items()
        for method in item
        if method in METHODS
    }


def compare_with_template(document: dict[str, Any], template: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(errors, warnings) about routes documented but not wired, or wired but not documented."""
    wired = template_routes(template)
    documented = documented_routes(document)
    errors = [
        f"{method.upper()} {path} is documented but no function in template.yaml serves it"
        for method, path in sorted(documented - set(wired))
    ]
    _functions_on_path()
    from shared.api import OPENAPI_PATH

    warnings = [
        f"{method.upper()} {path} ({wired[(method, path)]}) is not in the OpenAPI document"
        for method, path in sorted(set(wired) - documented)
        if path != OPENAPI_PATH
    ]
    return errors, warnings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.openapi", description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--output", type=Path, help=f"file to write (default {DEFAULT_OUTPUT.relative_to(ROOT)})")
    group.add_argument("--check", type=Path, metavar="FILE", help="compare FILE with the generated document")
    parser.add_argument("--template", type=Path, default=TEMPLATE)
    args = parser.parse_args(argv)

    document = build()
    text = render(document)
    errors, warnings = compare_with_template(document, load_template(args.template))
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for error in errors:
        print(f"error: {error}", file=sys.stderr)

    if args.check:
        current = args.check.read_text() if args.check.exists() else ""
        if current != text:
            print(f"{args.check} is out of date: run `make openapi`", file=sys.stderr)
            return 1
        return 1 if errors else 0

    output = args.output or DEFAULT_OUTPUT
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    print(f"wrote {output} ({len(document.get('paths', {}))} paths)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
