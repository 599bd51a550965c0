"""What a target declares about itself, read once from its manifests, without running any.

The one reader of ``pyproject.toml``, ``setup.cfg``, the literal arguments of ``setup()``
(read by the scan's workers from ``setup.py``'s syntax tree, never executed), ``PKG-INFO`` /
``METADATA``, an installed distribution's ``dist-info`` files, and requirements files.

- :mod:`.pipsyntax`: a requirements file's encoding, lines and options, by pip's rules;
- :mod:`.requirements`: the requirements reader (includes, problems), for a target's files in
  memory (:class:`TargetFiles`) and for lock files on disk (:class:`DiskFiles`), and
  :func:`is_pinned`;
- :mod:`.project`: what each manifest says, gathered into a :class:`ProjectInfo`;
- :mod:`.manifests`: :func:`declarations`, each manifest of a target parsed once per run.

The index client's lock files (:mod:`pysecbook.checker.index.lockfile`) and the teaching
code's pins (:func:`pysecbook.teaching.dependencies.parse_pins`) use the same reader.
Book page: ``book/checklist/must``.
"""

from __future__ import annotations

from pysecbook.checker.declarations.manifests import REQUIREMENTS_FILE, Declarations, declarations, project_info
from pysecbook.checker.declarations.model import VCS_PREFIXES, Dependency, IndexOption, ProjectInfo
from pysecbook.checker.declarations.pipsyntax import decode_like_pip, logical_lines
from pysecbook.checker.declarations.project import (
    LICENSE_FILE,
    is_development_file,
    local_path_inside,
    parse_requirement,
)
from pysecbook.checker.declarations.requirements import (
    MAX_INCLUDES,
    DiskFiles,
    Include,
    Opener,
    Problem,
    Reading,
    RequirementLine,
    RequirementsReader,
    Source,
    TargetFiles,
    Unreadable,
    is_pinned,
    read_requirements,
)

__all__ = ["LICENSE_FILE", "MAX_INCLUDES", "REQUIREMENTS_FILE", "VCS_PREFIXES", "Declarations",
           "Dependency", "DiskFiles", "Include", "IndexOption", "Opener", "Problem", "ProjectInfo",
           "Reading", "RequirementLine", "RequirementsReader", "Source", "TargetFiles", "Unreadable",
           "declarations", "decode_like_pip", "is_development_file", "is_pinned",
           "local_path_inside", "logical_lines", "parse_requirement", "project_info",
           "read_requirements"]
