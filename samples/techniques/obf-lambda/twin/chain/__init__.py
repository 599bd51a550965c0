# Near-miss twin: small lambdas as sort keys and callbacks; nothing decoded, nothing run.
people = [("ada", 36), ("alan", 41)]
by_age = sorted(people, key=lambda p: p[1])
compose = lambda f, g: lambda x: f(g(x))
