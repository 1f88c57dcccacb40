"""The compacted tables' byte accounting (bench/compaction.py) against the bytes DuckDB reads of the same files: on a
tiny compacted copy, with row groups small enough that their statistics skip some, for one message and one address."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bench import compaction as bench
from bench.layouts import LAYOUTS, writer
from bench.run import Scale
from seslog.compaction import run as compaction
from seslog.compaction.store import LocalStore
from seslog.eventlog.layout import write_layouts

pytestmark = pytest.mark.skipif(not bench.counting_available(), reason="DuckDB's reads are counted from /proc/self/io (Linux)")

TINY = Scale(messages=300, days=1, recipients=60)
DAY = TINY.start


@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    """A tiny send-date layout compacted by the day, in row groups of 32 rows (files of a few of them)."""
    root = tmp_path_factory.mktemp("compacted")
    write_layouts(TINY.events(), [writer(LAYOUTS[bench.RAW], root, TINY.seed)])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(compaction, "ROW_GROUP_ROWS", 32)
        compaction.compact(root / bench.RAW, now=datetime(2030, 1, 1, tzinfo=UTC), unit="day")
    copied = root / bench.RAW
    return bench.Compacted(copied, "day", LocalStore(copied).manifest("day")[0]), bench.pick_keys(copied, DAY, 4)


@pytest.mark.parametrize("name", ["message", "recipient"])
def test_duckdb_reads_the_counted_footers_and_no_row_group_the_statistics_skip(copy, name):
    compacted, keys = copy
    lookup = bench.BY_NAME[name]
    values = keys.messages if name == "message" else keys.addresses
    checked = []
    for key in values:
        files = compacted.files(lookup, key, DAY, DAY)
        found = bench.check_lookup(files, lookup, key, DAY, DAY)
        assert found.duckdb.rows > 0
        # The statistics skip row groups; the key's own rows are among those read.
        assert 0 < found.held_groups <= found.read.groups_read < found.read.groups
        # DuckDB fetches at least each footer; of the row groups, never more than the accounting counts, never less
        # than those holding the key; exactly the accounting's bytes when every row group read holds the key (a row
        # passes its filter, so every needed column is read).
        assert found.duckdb_footers >= found.read.footer
        assert found.held_data <= found.duckdb_data <= found.read.data
        if found.held_groups == found.read.groups_read:
            assert found.duckdb_data == found.read.data
        checked.append(found)
    assert any(c.held_groups == c.read.groups_read for c in checked)


def test_counted_bytes_are_the_footers_and_the_needed_chunks_of_the_row_groups_kept(copy):
    compacted, keys = copy
    lookup = bench.BY_NAME["message"]
    files = compacted.files(lookup, keys.messages[0], DAY, DAY)
    needed = bench.needed_compacted(lookup, files[0].paths)
    assert "recipient_key" not in needed and "message_id" in needed
    everything = bench.counted(files, needed)
    assert everything.groups_read == everything.groups and everything.footer == sum(f.footer for f in files)
    chosen = [i for i, p in enumerate(files[0].paths) if p in needed]
    assert everything.data == sum(g.bytes[i] for f in files for g in f.groups for i in chosen)
    nothing = bench.counted(files, needed, "message_id", bench.NO_KEY)
    assert (nothing.groups_read, nothing.data) == (0, 0)
