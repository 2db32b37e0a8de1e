"""The agenda's batch form schedules exactly as one item at a time."""

from __future__ import annotations

from drsim.model.agenda import APPLY, REQUEST, Agenda, Apply, Request


def test_schedule_many_equals_scheduling_each_in_turn():
    one, many = Agenda(), Agenda()
    retry = Request(1, 2, 0, -1, 1, -1, None, 9)
    for agenda in (one, many):  # something on the heap already, with its numbers
        agenda.schedule(5.0, REQUEST, retry)
    times = [7.0, 5.0, 5.0, 1.0, 7.0]  # ties: applies first, then scheduling order
    for t, row in zip(times, range(5), strict=True):
        one.schedule(t, APPLY, Apply(row))
    many.schedule_many(times, APPLY, [Apply(row) for row in range(5)])
    assert many.seq == one.seq == 6
    popped = [[agenda.pop() for _ in range(6)] for agenda in (one, many)]
    assert popped[0] == popped[1]
    assert [item[3] for item in popped[1]] == [Apply(3), Apply(1), Apply(2), retry,
                                               Apply(0), Apply(4)]
