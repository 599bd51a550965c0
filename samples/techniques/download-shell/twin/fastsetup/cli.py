# Near-miss twin: a command-line tool that runs git when the user asks it to.
import subprocess
import sys


def sync(repository):
    subprocess.run(["git", "-C", repository, "pull", "--ff-only"], check=True)


if __name__ == "__main__":
    sync(sys.argv[1])
