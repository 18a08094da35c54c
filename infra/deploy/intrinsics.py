"""CloudFormation intrinsic functions and conditions, evaluated as CloudFormation does.

``Resolver.resolve(value)`` returns the value with every intrinsic replaced; ``Ref`` and
``Fn::GetAtt`` of resources read the physical ids and attributes of resources already
created. ``dependencies(value)`` lists the resources a value refers to, for ordering.
"""
from __future__ import annotations

import re
from typing import Any, Callable

NO_VALUE = object()  # Ref AWS::NoValue: the enclosing key or list item disappears
SUB_VAR = re.compile(r"\$\{([^!}][^}]*)\}")


class TemplateError(Exception):
    pass


def dependencies(value: Any, resources: set[str]) -> set[str]:
    """Logical ids of resources that ``value`` refers to (Ref, GetAtt, Sub variables)."""
    found: set[str] = set()

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            if len(v) == 1:
                (key, arg), = v.items()
                if key == "Ref" and arg in resources:
                    found.add(arg)
                elif key == "Fn::GetAtt":
                    name = arg[0] if isinstance(arg, list) else str(arg).split(".")[0]
                    if name in resources:
                        found.add(name)
                elif key == "Fn::Sub":
                    text = arg[0] if isinstance(arg, list) else arg
                    for var in SUB_VAR.findall(text):
                        name = var.split(".")[0]
                        if name in resources:
                            found.add(name)
            for item in v.values():
                walk(item)
        elif isinstance(v, list):
            for item in v:
                walk(item)

    walk(value)
    return found


class Resolver:
    def __init__(self, parameters: dict[str, Any], conditions: dict[str, Any],
                 ref: Callable[[str], Any], get_att: Callable[[str, str], Any],
                 mappings: dict[str, Any] | None = None):
        self.parameters = parameters      # includes pseudo parameters (AWS::Region ...)
        self.condition_defs = conditions
        self._conditions: dict[str, bool] = {}
        self.ref_resource = ref
        self.get_att = get_att
        self.mappings = mappings or {}

    # ------------------------------------------------------------------ conditions
    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            if name not in self.condition_defs:
                raise TemplateError(f"unknown condition {name}")
            self._conditions[name] = bool(self.resolve(self.condition_defs[name]))
        return self._conditions[name]

    # ------------------------------------------------------------------ values
    def resolve(self, value: Any) -> Any:
        result = self._resolve(value)
        return None if result is NO_VALUE else result

    def _resolve(self, v: Any) -> Any:
        if isinstance(v, list):
            return [r for r in (self._resolve(i) for i in v) if r is not NO_VALUE]
        if not isinstance(v, dict):
            return v
        if len(v) == 1:
            (key, arg), = v.items()
            fn = self.FUNCTIONS.get(key)
            if fn is not None:
                return fn(self, arg)
        return {k: r for k, r in ((k, self._resolve(i)) for k, i in v.items()) if r is not NO_VALUE}

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.parameters:
            return self.parameters[name]
        return self.ref_resource(name)

    def _get_att(self, arg: Any) -> Any:
        if isinstance(arg, str):
            arg = arg.split(".", 1)
        name, attribute = self._resolve(arg[0]), self._resolve(arg[1])
        return self.get_att(name, attribute)

    def _sub(self, arg: Any) -> str:
        if isinstance(arg, list):
            text, variables = arg[0], {k: self._resolve(v) for k, v in arg[1].items()}
        else:
            text, variables = arg, {}

        def replace(match: re.Match) -> str:
            var = match.group(1)
            if var in variables:
                return str(variables[var])
            if "." in var and var.split(".")[0] not in self.parameters:
                name, attribute = var.split(".", 1)
                return str(self.get_att(name, attribute))
            return str(self._ref(var))

        return SUB_VAR.sub(replace, text).replace("${!", "${")

    def _join(self, arg: list) -> str:
        sep, items = arg
        return sep.join(str(i) for i in self._resolve(items))

    def _select(self, arg: list) -> Any:
        index, items = self._resolve(arg[0]), self._resolve(arg[1])
        return items[int(index)]

    def _split(self, arg: list) -> list:
        return str(self._resolve(arg[1])).split(arg[0])

    def _if(self, arg: list) -> Any:
        name, yes, no = arg
        return self._resolve(yes if self.condition(name) else no)

    def _equals(self, arg: list) -> bool:
        a, b = (self._resolve(x) for x in arg)
        return str(a) == str(b)

    def _find_in_map(self, arg: list) -> Any:
        m, k1, k2 = (self._resolve(x) for x in arg)
        return self.mappings[m][k1][k2]

    def _condition_ref(self, name: str) -> bool:
        return self.condition(name)

    def _get_azs(self, arg: Any) -> list[str]:
        region = self._resolve(arg) or self.parameters["AWS::Region"]
        return [f"{region}a", f"{region}b", f"{region}c"]

    def _to_json_string(self, arg: Any) -> str:
        import json

        return json.dumps(self._resolve(arg), separators=(",", ":"))

    FUNCTIONS: dict[str, Callable[["Resolver", Any], Any]] = {
        "Ref": _ref,
        "Fn::GetAtt": _get_att,
        "Fn::Sub": _sub,
        "Fn::Join": _join,
        "Fn::Select": _select,
        "Fn::Split": _split,
        "Fn::If": _if,
        "Fn::Equals": _equals,
        "Fn::Not": lambda self, arg: not self._resolve(arg[0]),
        "Fn::And": lambda self, arg: all(self._resolve(a) for a in arg),
        "Fn::Or": lambda self, arg: any(self._resolve(a) for a in arg),
        "Fn::FindInMap": _find_in_map,
        "Fn::GetAZs": _get_azs,
        "Fn::ToJsonString": _to_json_string,
        "Condition": _condition_ref,
    }
