"""``yaml.load`` with an unsafe loader builds arbitrary Python objects.

PyYAML's full Python tags (``!!python/object/apply:...``) call any importable callable
while the document is loaded. ``yaml.UnsafeLoader`` and ``yaml.Loader`` accept them;
``yaml.safe_load`` builds only plain data. The attack runs in a child interpreter.
Book page: ``book/practices/deserialization``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pysecbook.teaching.risks import Outcome, Risk, register
from pysecbook.teaching.risks.pickling import PAYLOAD_CODE, load_in_child


def read_config_insecure(text: str) -> object:
    """Read a YAML configuration with PyYAML's unsafe loader."""
    import yaml

    return yaml.load(text, Loader=yaml.UnsafeLoader)  # nosec B506 - deliberately insecure: demonstration of PSB-YAML-LOAD


def read_config_secure(text: str) -> object:
    """Read a YAML configuration as plain data."""
    import yaml

    return yaml.safe_load(text)


def yaml_payload() -> str:
    """Mallory's configuration: one ordinary key, one key whose value is a function call."""
    return f'name: demo\ndebug: !!python/object/apply:builtins.exec ["{PAYLOAD_CODE}"]\n'


def _write_yaml(tmp: Path) -> str:
    (tmp / "config.yaml").write_text(yaml_payload(), encoding="utf-8")
    return "config.yaml"


def attack(func: Callable[..., object]) -> Outcome:
    """Mallory submits a configuration file."""
    ran, observed = load_in_child(func, _write_yaml, mode="text")
    return Outcome(attack_succeeded=ran, observed=observed)


RISK = register(
    Risk(
        id="PSB-YAML-LOAD",
        title="yaml.load with an unsafe loader runs code",
        summary="With UnsafeLoader or Loader, a YAML tag can call any importable function "
        "while the document loads; safe_load builds plain data only.",
        cwe=502,
        bandit=("B506",),
        modules=("yaml",),
        page="practices/deserialization",
        insecure=read_config_insecure,
        secure=read_config_secure,
        attack=attack,
    )
)
