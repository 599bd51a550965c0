# Near-miss twin: shows the user their crontab when they ask for it.
import subprocess


def show_schedule():
    return subprocess.run(["crontab", "-l"], capture_output=True, text=True, check=False).stdout
