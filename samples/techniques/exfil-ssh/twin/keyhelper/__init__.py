# Near-miss twin: a notes client that reads its own settings and posts the user's note.
import json
import os
import urllib.request


def settings():
    path = os.path.expanduser("~/.config/keyhelper/settings.json")
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def publish(note):
    url = settings()["server"] + "/notes"
    body = json.dumps({"text": note}).encode()
    return urllib.request.urlopen(url, data=body, timeout=5)
