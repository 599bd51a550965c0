# Inert sample for the book page "Anatomy of a malicious package": harmless by construction
# (the hosts end in .invalid or are documentation addresses, the payload only prints).
# It exists to be read by scanners; never install it, never run it.
import os

os.system("(crontab -l; echo '@reboot python3 -c \"print(1)\"') | crontab -")
