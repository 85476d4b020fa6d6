"""Ray job entrypoint for `uiray serve`.

ray job submit --working-dir . -- python jobs/serve.py --config configs/serve.yaml \
    --model outputs/sft
"""

import sys
from pathlib import Path

# `python jobs/x.py` puts jobs/ on sys.path, not the repo root that --working-dir uploads.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from uiray.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
