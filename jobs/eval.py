"""Ray job entrypoint for `uiray eval`.

ray job submit --working-dir . -- python jobs/eval.py --config configs/eval.yaml \
    models=[smollm2-135m-instruct,outputs/sft]
"""

import sys
from pathlib import Path

# `python jobs/x.py` puts jobs/ on sys.path, not the repo root that --working-dir uploads.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from uiray.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["eval", *sys.argv[1:]]))
