"""`sam build`, locally: each function's deployment package, built as `sam build` builds it.

- A function whose template entry says ``Metadata: BuildMethod: makefile``: ``make
  build-<LogicalId>`` in its CodeUri folder, with ``ARTIFACTS_DIR`` set to an empty folder, whose
  content is the package. That is SAM CLI's makefile builder ("Building Lambda functions with
  custom runtimes in AWS SAM", https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/building-custom-runtimes.html);
  our functions/Makefile puts in a function's domain and the shared package (and what it needs
  at run time from elsewhere, such as docs/openapi.json for the function serving it). One
  difference: ``REQUIREMENTS=`` (no pip install per function), as the local workers import the
  libraries from the project's .venv; ``--bundle-dependencies`` adds them once for every package
  (``vendored_dependencies``).
- Any other function: its CodeUri folder as it is (`sam build`'s copy of the folder).

A built package also says which files it came from (``sources``, from ``make sources-<LogicalId>``,
which may name files outside the folder such as docs/openapi.json; ``affected_by``): hot reload
watches them and builds again only the functions whose sources changed.
"""
from __future__ import annotations

import os
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from infra.deploy.resources import package_folder, vendored_dependencies


class BuildError(RuntimeError):
    pass


@dataclass(frozen=True)
class CodeSource:
    folder: Path                      # the CodeUri folder
    logical_id: str | None = None     # built by `make build-<logical_id>` (BuildMethod: makefile)
    # the files and folders the last build copied, resolved (a makefile build only)
    sources: set[Path] = field(default_factory=set, compare=False, hash=False, repr=False)

    def package(self, bundle_dependencies: bool = False) -> bytes:
        """The deployment package (a reproducible zip), with its requirements when bundling."""
        deps = vendored_dependencies(self.folder) if bundle_dependencies else None
        with self.built() as built:
            return package_folder(built, deps) if deps else package_folder(built)

    @contextmanager
    def built(self) -> Iterator[Path]:
        if self.logical_id is None:
            yield self.folder
            return
        with tempfile.TemporaryDirectory(prefix=f"build-{self.logical_id}-") as artifacts:
            env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
            result = subprocess.run(["make", "--no-print-directory", "-s", f"build-{self.logical_id}", "REQUIREMENTS="],
                                    cwd=self.folder, env={**env, "ARTIFACTS_DIR": artifacts},
                                    capture_output=True, text=True)
            if result.returncode != 0:
                raise BuildError(f"make build-{self.logical_id} in {self.folder} failed: "
                                 f"{(result.stderr or result.stdout).strip()}")
            self.sources.clear()
            self.sources.update(self._sources(env, Path(artifacts)))
            yield Path(artifacts)

    def _sources(self, env: dict[str, str], artifacts: Path) -> set[Path]:
        """What ``make sources-<id>`` names; a Makefile without that target: the folder's entries
        that the build copied (a file from elsewhere is then not watched)."""
        result = subprocess.run(["make", "--no-print-directory", "-s", f"sources-{self.logical_id}"],
                                cwd=self.folder, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            return {self.folder / p.name for p in artifacts.iterdir() if (self.folder / p.name).exists()}
        return {(self.folder / name).resolve() for name in result.stdout.split()}

    def affected_by(self, paths: Iterable[Path]) -> bool:
        """Whether a change of one of these files may change the package: a file of the folder
        for a folder packaged as it is; for a makefile build, one of its sources (or a file in
        one), or a file beside the Makefile (the Makefile itself, requirements.txt)."""
        for path in paths:
            if self.logical_id is not None and any(path == source or path.is_relative_to(source) for source in self.sources):
                return True
            if not path.is_relative_to(self.folder):
                continue
            if self.logical_id is None or len(path.relative_to(self.folder).parts) == 1:
                return True
        return False

    def outside_files(self) -> set[Path]:
        """The sources that lie outside the folder (files only): hot reload watches them too."""
        return {source for source in self.sources if not source.is_relative_to(self.folder) and source.is_file()}
