"""Two writers on one project store: the lease makes one of them read-only, compare-and-swap
keeps undo from writing back a value it never saw, and the revision tells readers to refresh."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from annotator.core import writer_lease
from annotator.core.store import ProjectStore, StoreError

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def folder(tmp_path):
    store = ProjectStore.for_folder(tmp_path)
    store.add_videos({"clip.mp4": 10.0})
    store.close()
    return tmp_path


def test_the_second_store_to_claim_is_read_only_until_the_first_closes(folder):
    first, second = ProjectStore.for_folder(folder), ProjectStore.for_folder(folder)
    assert first.claim_writer("window A") is None
    holder = second.claim_writer("window B")
    assert holder is not None and holder.holder == "window A" and second.read_only
    assert "window A on this computer" in holder.describe()
    with pytest.raises(StoreError, match="read-only here: window A"):
        second.set_labels("clip.mp4", {3: "Flat tyre"}, "paint")
    assert first.set_labels("clip.mp4", {3: "Sparkler"}, "paint")
    assert second.human_labels("clip.mp4") == {3: "Sparkler"}  # it reads what A wrote

    first.close()
    assert second.keep_writer() is None and not second.read_only  # free: B takes it
    assert second.set_labels("clip.mp4", {3: "Flat tyre"}, "paint")
    assert second.integrity_check() == "ok"
    second.close()


def test_a_writer_that_lost_its_lease_is_refused_not_overwriting(folder):
    first, second = ProjectStore.for_folder(folder), ProjectStore.for_folder(folder)
    assert first.claim_writer("window A") is None
    # A sleeps past the stale time (its laptop lid closed): B may take over.
    first._db.execute(
        "UPDATE writer SET heartbeat = heartbeat - ?", (writer_lease.STALE_AFTER_SECONDS + 1,)
    )
    assert second.claim_writer("window B") is None
    second.set_labels("clip.mp4", {4: "Flat tyre"}, "paint")
    with pytest.raises(StoreError, match="window B .* took over editing"):
        first.set_labels("clip.mp4", {4: "Sparkler"}, "paint")
    assert first.read_only and first.human_labels("clip.mp4") == {4: "Flat tyre"}
    first.close()
    second.close()


def test_undo_is_compare_and_swap_on_the_seconds_it_touches(folder):
    """The sequence a reviewer lost an edit with: A labels a second, someone else labels it
    'Flat tyre', A undoes. The undo must not write back the empty second it remembers."""
    mine, theirs = ProjectStore.for_folder(folder), ProjectStore.for_folder(folder)
    made = mine.change_labels(
        "clip.mp4", {3: "Sparkler", 4: "Sparkler"}, "Paint", expected={3: None, 4: None}
    )
    assert made.edit_id and made.before == {3: None, 4: None} and not made.changed_elsewhere
    theirs.set_labels("clip.mp4", {3: "Flat tyre"}, "Label 3 s Flat tyre")

    undone = mine.change_labels(
        "clip.mp4", made.before, "undo: Paint", expected={3: "Sparkler", 4: "Sparkler"}
    )
    assert undone.changed_elsewhere == {3: "Flat tyre"}
    assert mine.human_labels("clip.mp4") == {3: "Flat tyre"}  # theirs kept, 4 undone
    log = mine.edit_log("clip.mp4")
    assert log["changes"].iloc[-1] == {4: ["Sparkler", None]}  # no undo over 'Flat tyre'

    stale = mine.change_labels(
        "clip.mp4",
        {3: "Whistle kettle", 5: "Whistle kettle"},
        "Paint from a stale view",
        expected={3: None, 5: None},
        all_or_nothing=True,
    )
    assert stale.edit_id is None and stale.changed_elsewhere == {3: "Flat tyre"}
    assert mine.human_labels("clip.mp4") == {3: "Flat tyre"}
    assert mine.integrity_check() == "ok"
    mine.close()
    theirs.close()


def test_the_revision_tells_a_reader_that_someone_else_wrote(folder):
    reader, writer = ProjectStore.for_folder(folder), ProjectStore.for_folder(folder)
    assert not reader.changed_elsewhere()
    reader.set_labels("clip.mp4", {1: "Sparkler"}, "own edit")
    assert not reader.changed_elsewhere()  # its own write is not news
    writer.set_labels("clip.mp4", {2: "Sparkler"}, "someone else's edit")
    assert reader.changed_elsewhere() and not reader.changed_elsewhere()
    reader.close()
    writer.close()


_HOLDER = """
import sys, time
from annotator.core.store import ProjectStore
store = ProjectStore.for_folder(sys.argv[1])
print("other" if store.claim_writer("window in another process") else "claimed", flush=True)
store.set_labels("clip.mp4", {6: "Sparkler"}, "Label 6 s Sparkler")
print("edited", flush=True)
time.sleep(60)
"""


def test_a_second_process_finds_the_folder_taken_and_a_killed_one_frees_it(folder):
    child = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(folder)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
    )
    try:
        assert child.stdout.readline().strip() == "claimed"
        assert child.stdout.readline().strip() == "edited"
        here = ProjectStore.for_folder(folder)
        holder = here.claim_writer("window here")
        assert holder is not None and holder.pid == child.pid
        assert here.human_labels("clip.mp4") == {6: "Sparkler"}
        with pytest.raises(StoreError, match="read-only"):
            here.set_labels("clip.mp4", {6: None}, "clear")
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        deadline = time.monotonic() + 5
        while here.keep_writer() is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not here.read_only  # its process is gone: free
        here.set_labels("clip.mp4", {6: None}, "clear")
        assert here.human_labels("clip.mp4") == {} and here.integrity_check() == "ok"
        here.close()
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
