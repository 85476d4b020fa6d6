"""Ray job entrypoint for `uiray pipeline`.

ray job submit --working-dir . -- python jobs/pipeline.py --config configs/pipeline.yaml
"""

import sys
from pathlib import Path

# `python jobs/x.py` puts jobs/ on sys.path, not the repo root that --working-dir uploads.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from uiray.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["pipeline", *sys.argv[1:]]))
