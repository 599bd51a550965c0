# Near-miss twin: the project's own release script, run by its maintainer.
import subprocess


def release():
    subprocess.run(["python", "-m", "build"], check=True)
    subprocess.run(["twine", "upload", "dist/*"], check=True)


if __name__ == "__main__":
    release()
