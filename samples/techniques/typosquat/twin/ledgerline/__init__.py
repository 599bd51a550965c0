# Near-miss twin: a first release (0.0.1) of a project with its own name and nothing at install.
def balance(entries):
    return sum(amount for _, amount in entries)
