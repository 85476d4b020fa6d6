"""`uiray data` on the default config reads the shipped corpus whole: every row, as it is in the file."""

import json

from uiray.config import DataConfig
from uiray.data.embedded import load_embedded
from uiray.data.reading import read_inputs


def test_the_default_config_reads_every_shipped_row_unchanged(ray_cluster):
    rows = {row["id"]: row for row in read_inputs(DataConfig()).take_all()}
    shipped = load_embedded()
    assert sorted(rows) == [row["id"] for row in shipped]
    for row in shipped:
        read = rows[row["id"]]
        assert (read["prompt"], read["completion"]) == (row["prompt"], row["completion"])
        assert json.loads(read["checklist"]) == row["checklist"] and read["category"] == row["category"]
        assert read["quarantine"] is None and read["format"] == "prompt_completion"
