"""The side-table registry (``kernsim.experiment.side_tables.SIDES``): the one list the
store, its compaction and ``kernsim verify`` read."""

from __future__ import annotations

from kernsim.experiment.side_tables import SIDES
from kernsim.experiment.store import Store


def test_side_tables_are_declared_once_with_distinct_folders_files_and_keys(tmp_path):
    store = Store(tmp_path)
    assert [folder.name for folder in store.sides.values()] == [s.folder for s in SIDES]
    for attr in ("folder", "compacted", "key"):
        assert len({getattr(s, attr) for s in SIDES}) == len(SIDES)
