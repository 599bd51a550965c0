# Inert stand-in for a packer's runtime module.
def pyarmor_runtime():
    print("hello from an inert sample")
