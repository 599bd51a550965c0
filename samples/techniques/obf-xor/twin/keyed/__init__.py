# Near-miss twin: a checksum that XORs bytes together; nothing is run.
from functools import reduce


def checksum(data: bytes) -> int:
    return reduce(lambda a, b: a ^ b, data, 0)
