# Near-miss twin: a library that downloads data and reads it, never runs it.
import json
import urllib.request

RELEASES = "https://releases.example.invalid/latest.json"


def latest_version():
    with urllib.request.urlopen(RELEASES, timeout=5) as response:
        return json.loads(response.read())["version"]
