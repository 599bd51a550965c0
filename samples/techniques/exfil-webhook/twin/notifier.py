# Near-miss twin: posts a build status, not the environment, to the webhook the user gives.
import json
import sys
import urllib.request


def notify(webhook, status):
    body = json.dumps({"content": f"build {status}"}).encode()
    request = urllib.request.Request(webhook, data=body, headers={"Content-Type": "application/json"})
    return urllib.request.urlopen(request, timeout=5)


if __name__ == "__main__":
    notify(sys.argv[1], sys.argv[2])
