# Near-miss twin: sends metrics to the collector the user configures, on a private address.
import json
import urllib.request

DEFAULT = "http://127.0.0.1:9091/metrics"


def push(values, url=DEFAULT):
    return urllib.request.urlopen(url, data=json.dumps(values).encode(), timeout=5)
