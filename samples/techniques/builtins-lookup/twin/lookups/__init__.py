# Near-miss twin: looks up an optional module in sys.modules without importing it.
import sys


def numpy_loaded():
    return "numpy" in sys.modules and sys.modules["numpy"] is not None
