# Near-miss twin: plugins imported by the name the user configures.
import importlib


def load_plugin(name):
    return importlib.import_module(f"{__name__}.plugins.{name}")
