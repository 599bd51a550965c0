# Near-miss twin: a non-Latin identifier that stands for nothing else.
π = 3.141592653589793


def area(r):
    return π * r * r
