# Near-miss twin: a shell-completion installer the user runs on purpose
# ("shellhelper --install-completion"), the way command-line frameworks do.
from pathlib import Path

LINE = 'eval "$(_SHELLHELPER_COMPLETE=bash_source shellhelper)"\n'


def install_completion():
    rc = Path.home() / ".bashrc"
    with rc.open("a", encoding="utf-8") as handle:
        handle.write(LINE)
    return rc
