"""Route a request path to a deployed resource, as API Gateway REST APIs do.

Resource paths are templates: literal segments, `{param}` (exactly one non-empty segment)
and a final greedy `{name+}` (one or more segments). At each level a literal segment wins
over `{param}`, which wins over `{proxy+}`; a candidate only matches if the resource has
the request's method (or ANY), otherwise the next candidate is tried. A trailing slash is
ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Mapping
from urllib.parse import unquote

if TYPE_CHECKING:  # pragma: no cover
    from .config import Method, Resource


@dataclass(frozen=True)
class RouteMatch:
    resource: "Resource"
    method: "Method"
    path_parameters: Mapping[str, str]


@dataclass
class _Node:
    resource: "Resource | None" = None
    static: dict[str, "_Node"] = field(default_factory=dict)
    params: list[tuple[str, "_Node"]] = field(default_factory=list)
    greedy: list[tuple[str, "Resource"]] = field(default_factory=list)


def split_path(path: str) -> list[str]:
    """'/a/b%20c/' -> ['a', 'b c'] (percent-decoded per segment, trailing slash ignored)."""
    if not path or path == "/":
        return []
    segments = path.split("/")
    if segments and segments[0] == "":
        segments = segments[1:]
    if segments and segments[-1] == "":
        segments = segments[:-1]
    return [unquote(s) if "%" in s else s for s in segments]


class Router:
    """Immutable once built; `match` is safe to call from many threads."""

    def __init__(self, resources: Iterable["Resource"]):
        self._root = _Node()
        self.resources = tuple(resources)
        for r in self.resources:
            self._add(r)

    def _add(self, resource: "Resource") -> None:
        node = self._root
        parts = [p for p in resource.path.split("/") if p]
        for i, part in enumerate(parts):
            if part.startswith("{") and part.endswith("+}"):
                if i == len(parts) - 1:
                    node.greedy.append((part[1:-2], resource))
                    return
                part_name = part[1:-2]  # not valid in API Gateway; treat as a plain variable
                node = self._param_child(node, part_name)
            elif part.startswith("{") and part.endswith("}"):
                node = self._param_child(node, part[1:-1])
            else:
                node = node.static.setdefault(part, _Node())
        node.resource = resource

    @staticmethod
    def _param_child(node: _Node, name: str) -> _Node:
        for existing, child in node.params:
            if existing == name:
                return child
        child = _Node()
        node.params.append((name, child))
        return child

    def match(self, http_method: str, path: str) -> RouteMatch | None:
        """Match a raw (still percent-encoded) request path, without query string."""
        return self.match_segments(http_method, split_path(path))

    def match_segments(self, http_method: str, segments: list[str]) -> RouteMatch | None:
        params: dict[str, str] = {}
        return self._walk(self._root, segments, 0, http_method, params)

    def _walk(self, node: _Node, segs: list[str], i: int, verb: str, params: dict[str, str]) -> RouteMatch | None:
        if i == len(segs):
            if node.resource is not None:
                method = node.resource.method_for(verb)
                if method is not None:
                    return RouteMatch(node.resource, method, dict(params))
            return None
        seg = segs[i]
        child = node.static.get(seg)
        if child is not None:
            found = self._walk(child, segs, i + 1, verb, params)
            if found is not None:
                return found
        if seg:
            for name, pchild in node.params:
                params[name] = seg
                found = self._walk(pchild, segs, i + 1, verb, params)
                if found is not None:
                    return found
                del params[name]
        for name, resource in node.greedy:
            method = resource.method_for(verb)
            if method is not None:
                out = dict(params)
                out[name] = "/".join(segs[i:])
                return RouteMatch(resource, method, out)
        return None
