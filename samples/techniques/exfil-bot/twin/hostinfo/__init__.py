# Near-miss twin: shows the user who and where they are; sends nothing.
import getpass
import platform


def whoami():
    return f"{getpass.getuser()}@{platform.node()}"
