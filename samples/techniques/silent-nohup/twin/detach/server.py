# Near-miss twin: starts the development server the user asked for, in the foreground.
import subprocess
import sys


def serve(port):
    subprocess.run([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)], check=False)
