# Near-miss twin: a release helper that documents packing, and packs nothing itself.
"""Build notes: some vendors ship modules packed with PyArmor; this package does not."""


def describe():
    return "plain, readable Python"
