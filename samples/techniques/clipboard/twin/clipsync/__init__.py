# Near-miss twin: copies a generated password to the clipboard when the user asks.
import secrets

import pyperclip


def copy_new_password():
    pyperclip.copy(secrets.token_urlsafe(16))
