# Near-miss twin: fetches the project's own configuration, from its own documented host.
import urllib.request

CONFIG = "https://config.example.invalid/v1/settings.json"
DOCS = "https://docs.example.invalid/configloader/"


def fetch_settings():
    with urllib.request.urlopen(CONFIG, timeout=5) as response:
        return response.read()
