"""Ray job entrypoint for `uiray generate`.

ray job submit --working-dir . -- python jobs/generate.py "a pomodoro timer" -o outputs/timer.html
"""

import sys
from pathlib import Path

# `python jobs/x.py` puts jobs/ on sys.path, not the repo root that --working-dir uploads.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from uiray.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["generate", *sys.argv[1:]]))
