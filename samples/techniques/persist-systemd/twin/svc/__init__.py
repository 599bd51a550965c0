# Near-miss twin: prints a unit file for the user to install themselves.
UNIT = "[Service]\nExecStart=/usr/bin/svc serve\n"


def print_unit():
    print(UNIT)
