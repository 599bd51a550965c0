# Near-miss twin: loads the C library the system already has, by name.
import ctypes
import ctypes.util


def libc():
    return ctypes.CDLL(ctypes.util.find_library("c"))
