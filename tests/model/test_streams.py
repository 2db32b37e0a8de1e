"""Skipping draws of a named stream (drsim.model.streams.skip_doubles), and drawing them
later (DeferredUniforms).

Known answer: the stream's next draws after skipping ``k`` doubles are those after
drawing them, whatever came before (a 32-bit draw leaves half an output for the next);
deferred draws are the doubles the stream would have given at once.
"""

from __future__ import annotations

import numpy as np
import pytest

from drsim.model.streams import DeferredUniforms, Streams, skip_doubles


@pytest.mark.parametrize("before", ["nothing", "doubles", "a 32-bit draw"])
@pytest.mark.parametrize("count", [0, 1, 12_345])
def test_skipping_doubles_leaves_the_stream_as_drawing_them(before, count):
    drawn, skipped = Streams(7, 1).get("x"), Streams(7, 1).get("x")
    for rng in (drawn, skipped):
        if before == "doubles":
            rng.random(5)
        elif before == "a 32-bit draw":
            rng.integers(0, 10, 3, dtype=np.int32)
    drawn.random(count)
    skip_doubles(skipped, count)
    assert np.array_equal(drawn.integers(0, 10, 7, dtype=np.int32),
                          skipped.integers(0, 10, 7, dtype=np.int32))
    assert np.array_equal(drawn.random(9), skipped.random(9))
    assert drawn.bit_generator.state == skipped.bit_generator.state


@pytest.mark.parametrize("count", [0, 1, 12_345])
def test_deferred_uniforms_are_the_draws_the_stream_would_have_given(count):
    drawn, deferring = Streams(7, 1).get("x"), Streams(7, 1).get("x")
    for rng in (drawn, deferring):
        rng.integers(0, 10, 3, dtype=np.int32)  # half an output left over
    now = drawn.random(count)
    later = DeferredUniforms(deferring, count)
    assert np.array_equal(drawn.random(9), deferring.random(9))  # the stream moved past them
    assert len(later) == count
    assert np.array_equal(later.values(), now)
    assert np.array_equal(np.concatenate([np.empty(0), *later.blocks()]), now)
