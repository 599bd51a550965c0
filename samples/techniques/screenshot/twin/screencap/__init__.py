# Near-miss twin: a test helper that saves a screenshot next to a failing test's report.
from PIL import ImageGrab


def save_failure_screenshot(path):
    ImageGrab.grab().save(path, "PNG")
