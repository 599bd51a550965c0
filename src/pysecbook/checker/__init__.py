"""The checker: ``pysecbook check``, the executable pre-run checklist.

It reads a target (a project, an sdist, a wheel, an installed distribution) without running
any of it (:mod:`~pysecbook.checker.scan`), runs every check of the checklist on what it read
(:mod:`~pysecbook.checker.checklist`) and formats the result
(:mod:`~pysecbook.checker.report`). The checker never imports the teaching library
(:mod:`pysecbook.teaching`): what it does must not depend on a demonstration.
"""

from __future__ import annotations

from pysecbook.checker.config import Config, ConfigError, load_config_file, read_config
from pysecbook.checker.results import CheckOutcome, Report
from pysecbook.checker.runner import check_target, run_checks

__all__ = ["CheckOutcome", "Config", "ConfigError", "Report", "check_target",
           "load_config_file", "read_config", "run_checks"]
