"""Ray job entrypoint for `uiray data`.

ray job submit --working-dir . -- python jobs/data.py --config configs/data.yaml [embedded_rows=500 ...]
"""

import sys
from pathlib import Path

# `python jobs/x.py` puts jobs/ on sys.path, not the repo root that --working-dir uploads.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from uiray.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["data", *sys.argv[1:]]))
