"""Ray job entrypoint for `uiray grpo`.

ray job submit --working-dir . -- python jobs/grpo.py --config configs/grpo.yaml \
    model.name=outputs/sft-merged prompts=outputs/data/rl
"""

import sys
from pathlib import Path

# `python jobs/x.py` puts jobs/ on sys.path, not the repo root that --working-dir uploads.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from uiray.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["grpo", *sys.argv[1:]]))
