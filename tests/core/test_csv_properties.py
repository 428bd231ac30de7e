"""Property-based round trips: whatever text a user or a model puts in a cell survives export
and import unchanged, and no text cell can start a spreadsheet formula."""

import csv
import io

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.core.csv_io import read_per_second_csv, write_per_second_csv
from annotator.core.table import build_table

# Any printable text, including formula starters, quotes, commas, newlines, CJK and emoji.
cell_text = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00"),
    min_size=1,
    max_size=20,
).filter(lambda s: s.strip() == s and s != "")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    video=cell_text,
    classes=st.lists(cell_text, min_size=2, max_size=4, unique=True),
    seconds=st.floats(min_value=0.2, max_value=12.0),
    seed=st.integers(0, 10_000),
)
def test_per_second_csv_round_trips(tmp_path, video, classes, seconds, seed):
    n = int(np.ceil(round(seconds, 3)))
    probs = np.random.default_rng(seed).dirichlet(np.ones(len(classes)), size=n)
    table = build_table(video, seconds, classes, probs, audio_probs=probs[::-1], model="m@1")
    path = write_per_second_csv(table, tmp_path / "rows.csv")
    back = read_per_second_csv(path)
    for column in ("video", "label", "audio_label", "visual_label", "model", "source"):
        assert back[column].tolist() == table[column].fillna("").astype(str).tolist()
    assert np.allclose(back["confidence"], table["confidence"].round(4))
    assert np.allclose(back["end"], table["end"].round(3))
    for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8"))):
        for cell in row:
            assert not cell.startswith(("=", "+", "@")) or cell.replace(".", "", 1).isdigit()
