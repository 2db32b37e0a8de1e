"""ProfileAcks keeps, as chains in columns, what a dict of per-user lists keeps."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from drsim.model.acks import ProfileAcks

USERS = 6

steps = st.lists(st.one_of(
    st.tuples(st.just("add"), st.integers(0, USERS - 1)),
    st.tuples(st.just("add_many"), st.sets(st.integers(0, USERS - 1), max_size=USERS)),
    st.tuples(st.just("keep"), st.integers(0, USERS - 1), st.integers(0, 8)),
), max_size=60)


@settings(max_examples=200, deadline=None)
@given(steps)
def test_equals_lists_per_user(script):
    acks = ProfileAcks(USERS)
    lists: dict[int, list[float]] = {}  # the reference: ack time of versions 1, 2, …
    clock = 0.0
    for step in script:
        clock += 1.0
        if step[0] == "add":
            user = step[1]
            lists.setdefault(user, []).append(clock)
            acks.add(user, len(lists[user]), clock)
        elif step[0] == "add_many":
            users = np.array(sorted(step[1], reverse=True), dtype=np.int64)
            for user in users.tolist():
                lists.setdefault(user, []).append(clock)
            versions = np.array([len(lists[u]) for u in users.tolist()], dtype=np.float64)
            acks.add_many(users, versions, np.full(len(users), clock))
        else:
            _, user, versions = step
            del lists.get(user, [])[versions:]
            acks.keep(user, versions)
        for user in range(USERS):
            times = lists.get(user, [])
            assert acks.times(user) == times
            for version in range(1, 10):
                expected = times[version - 1] if version <= len(times) else None
                assert acks.time_of(user, version) == expected
        for t in (0.0, clock / 2, clock):
            assert acks.newest_after(t) == sorted(u for u, x in lists.items() if x and x[-1] > t)


def test_cut_chain_continues_from_the_kept_version():
    acks = ProfileAcks(2)
    for version, t in ((1, 10.0), (2, 20.0), (3, 30.0)):
        acks.add(1, version, t)
    acks.keep(1, 1)  # versions 2 and 3 lost
    acks.add(1, 2, 40.0)  # the next write makes version 2 again
    assert acks.times(1) == [10.0, 40.0]
    assert acks.time_of(1, 2) == 40.0
    assert acks.time_of(1, 3) is None
    assert acks.times(0) == [] and acks.time_of(0, 1) is None
