"""The platform's version: the one place it is written.

``pyproject.toml`` reads it (``[tool.setuptools.dynamic]``) and ``GET /api/v1/health`` reports it;
it ships with the functions' code (``CodeUri: functions/``), so a deployed stage knows its version.
"""

__version__ = "0.1.0"
