# Near-miss twin: resolves the host name the user typed.
import socket
import sys


def address_of(host):
    return socket.gethostbyname(host)


if __name__ == "__main__":
    print(address_of(sys.argv[1]))
