"""Hot reload for the local stack, as `sam sync --watch` does on AWS.

A thread polls the modification times of what the stack was deployed from, every half second:

- a file in a function's CodeUri folder, or a file outside it that its build copies (docs/openapi.json):
  each function whose package it may change (a file of its domain or of the shared package; see
  ``build.CodeSource.affected_by``) is built again, and gets
  UpdateFunctionCode if its package changed (``sync_code``), nothing else. The runtime gives the next invocation a new worker
  (the code hash is part of a function's revision) and stops the warm ones of the old code;
  invocations under way finish on the old code. A handler that no longer imports (a syntax
  error) answers its init error, as on Lambda, until the file is fixed.
- ``template.yaml`` or a state machine definition (``DefinitionUri``): the whole deploy again,
  which changes only what differs. A template that does not parse or deploy is logged; what
  was deployed keeps serving.

One log line per reload says what changed and what was done.
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any, Callable

from infra.deploy.deployer import StackResult, deploy, sync_code
from infra.deploy.resources import packaged
from infra.deploy.template import load_yaml

log = logging.getLogger("hot-reload")
Snapshot = dict[Path, tuple[int, int]]


class HotReload:
    def __init__(self, endpoint_url: str, stack: StackResult, template_path: Path, *, region: str,
                 parameters: dict[str, str] | None = None, interval: float = 0.5,
                 on_deployed: Callable[[StackResult], None] | None = None):
        self.endpoint_url, self.stack, self.template_path = endpoint_url, stack, Path(template_path).resolve()
        self.region, self.parameters, self.interval = region, parameters or {}, interval
        self.on_deployed = on_deployed
        self._definitions = self._definition_files()
        self._seen = self._snapshot()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "HotReload":
        self._thread = threading.Thread(target=self._run, name="hot-reload", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.poll()
            except Exception:   # noqa: BLE001 - the watcher outlives any one failed reload
                log.exception("hot reload failed")

    # ------------------------------------------------------------------ one round
    def poll(self) -> None:
        """Reloads what changed since the last round, if anything did."""
        now = self._settled()
        changed = sorted(p for p in now.keys() | self._seen.keys() if now.get(p) != self._seen.get(p))
        if not changed:
            return
        self._seen = now
        started = time.monotonic()
        what = self._describe(changed)
        if any(p in self._template_files() for p in changed):
            self._redeploy(what, started)
            return
        updated = sync_code(self.endpoint_url, self.stack, self.region, set(changed))
        if updated:
            log.info("%s changed: new code for %s (%.1f s)", what, _functions(updated, len(self.stack.code_sources)),
                     time.monotonic() - started)
        else:
            log.info("%s changed: no function's package differs, nothing to do", what)

    def _redeploy(self, what: str, started: float) -> None:
        try:
            stack = deploy(self.endpoint_url, template_path=self.template_path, stack_name=self.stack.stack_name,
                           region=self.region, parameters=self.parameters,
                           bundle_dependencies=self.stack.bundle_dependencies)
        except Exception as exc:   # noqa: BLE001 - a broken template must not stop the stack
            log.error("%s changed: NOT redeployed, what was deployed keeps serving: %s", what, _oneline(exc))
            return
        self.stack, self._definitions = stack, self._definition_files()
        self._seen = self._snapshot()   # the new template may name other folders and files
        log.info("%s changed: redeployed (%s) (%.1f s)", what,
                 f"{len(stack.changes)} changes: " + "; ".join(stack.changes) if stack.changes else "no changes",
                 time.monotonic() - started)
        if self.on_deployed is not None:
            self.on_deployed(stack)

    # ------------------------------------------------------------------ what is watched
    def _template_files(self) -> set[Path]:
        return {self.template_path, *self._definitions}

    def _definition_files(self) -> set[Path]:
        """The state machines' DefinitionUri files (kept as they were if the template does not parse)."""
        try:
            resources = load_yaml(self.template_path).get("Resources") or {}
        except Exception:   # noqa: BLE001 - reported by the redeploy that follows
            return getattr(self, "_definitions", set())
        base = self.template_path.parent
        return {(base / r["Properties"]["DefinitionUri"]).resolve() for r in resources.values()
                if isinstance(r, dict) and isinstance((r.get("Properties") or {}).get("DefinitionUri"), str)}

    def _snapshot(self) -> Snapshot:
        files = set(self._template_files())
        for folder in {source.folder for source in self.stack.code_sources.values()}:
            files |= {p for p in folder.rglob("*") if p.is_file() and packaged(p.relative_to(folder))}
        for source in self.stack.code_sources.values():
            files |= source.outside_files()   # e.g. docs/openapi.json, packaged by functions/Makefile
        snapshot: Snapshot = {}
        for path in files:
            try:
                st = path.stat()
            except OSError:   # removed meanwhile: missing from the snapshot, so a change
                continue
            snapshot[path] = (st.st_mtime_ns, st.st_size)
        return snapshot

    def _settled(self) -> Snapshot:
        """A snapshot that holds still for 0.1 s (an editor may save in several writes)."""
        snapshot = self._snapshot()
        if snapshot == self._seen:
            return snapshot
        for _ in range(10):
            time.sleep(0.1)
            again = self._snapshot()
            if again == snapshot:
                break
            snapshot = again
        return snapshot

    def _describe(self, changed: list[Path]) -> str:
        base = self.template_path.parent
        names = [str(p.relative_to(base)) if p.is_relative_to(base) else str(p) for p in changed]
        return names[0] if len(names) == 1 else f"{names[0]} and {len(names) - 1} more"


def _functions(names: list[str], total: int) -> str:
    if len(names) == total and total > 1:
        return f"every function ({total})"
    return ", ".join(names)


def _oneline(exc: Any) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())
