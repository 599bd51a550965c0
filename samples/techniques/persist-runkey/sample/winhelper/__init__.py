# Inert sample for the book page "Anatomy of a malicious package": harmless by construction
# (the hosts end in .invalid or are documentation addresses, the payload only prints).
# It exists to be read by scanners; never install it, never run it.
import sys

try:
    import winreg
except ImportError:
    winreg = None

if winreg is not None:
    _key = winreg.OpenKey(winreg.HKEY_CURRENT_USER,
                          r"Software\Microsoft\Windows\CurrentVersion\Run", 0, winreg.KEY_SET_VALUE)
    winreg.SetValueEx(_key, "winhelper", 0, winreg.REG_SZ, f'"{sys.executable}" -c "print(1)"')
