# Near-miss twin: asks git quietly whether the directory is a repository, when called.
import subprocess


def in_git_repository(path):
    done = subprocess.run(["git", "-C", path, "rev-parse"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, check=False)
    return done.returncode == 0
