"""Packed sequences and the reshuffling ops under them: gradcheck in float64, round trips,
unbatched input, and the errors a porter meets."""

from __future__ import annotations

import numpy as np
import pytest

import lstmkit as lk
from lstmkit import nn
from lstmkit.nn.gather import move_axis, swap_first_axes, take_rows
from lstmkit.nn.utils import rnn

LENGTHS = [4, 1, 3]


def _tensor(gen, *shape):
    return lk.tensor(gen.standard_normal(shape), requires_grad=True)


def test_reshuffling_ops_pass_gradcheck():
    gen = np.random.default_rng(0)
    a = _tensor(gen, 5, 2)
    assert lk.gradcheck(lambda t: take_rows(t, np.array([3, -1, 0, 4, -1])) * 2.0, [a])
    b = _tensor(gen, 2, 3, 4)
    assert lk.gradcheck(lambda t: swap_first_axes(t) * 1.5, [b])
    assert lk.gradcheck(lambda t: move_axis(t, 1, -1) * 1.5, [b])


@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_and_pad_pass_gradcheck_and_round_trip(batch_first):
    gen = np.random.default_rng(1)
    x = _tensor(gen, *((3, 4, 2) if batch_first else (4, 3, 2)))

    def packed(t):
        return rnn.pack_padded_sequence(t, LENGTHS, batch_first, enforce_sorted=False).data * 2.0

    def round_trip(t):
        p = rnn.pack_padded_sequence(t, LENGTHS, batch_first, enforce_sorted=False)
        return rnn.pad_packed_sequence(p, batch_first, padding_value=0.5)[0] * 2.0

    assert lk.gradcheck(packed, [x])
    assert lk.gradcheck(round_trip, [x])
    padded, lengths = rnn.pad_packed_sequence(rnn.pack_padded_sequence(x, LENGTHS, batch_first, False), batch_first)
    assert lengths.tolist() == LENGTHS
    steps = padded.numpy() if not batch_first else padded.numpy().swapaxes(0, 1)
    source = x.numpy() if not batch_first else x.numpy().swapaxes(0, 1)
    for b, n in enumerate(LENGTHS):
        np.testing.assert_array_equal(steps[:n, b], source[:n, b])
        assert not steps[n:, b].any()


def test_pad_sequence_passes_gradcheck():
    gen = np.random.default_rng(2)
    seqs = [_tensor(gen, n, 2) for n in LENGTHS]
    assert lk.gradcheck(lambda *s: rnn.pad_sequence(list(s), padding_side="left") * 2.0, seqs)


def test_packed_sequence_knows_its_lengths_and_moves_with_to():
    packed = rnn.pack_sequence([lk.tensor(np.ones((n, 2))) for n in LENGTHS], enforce_sorted=False)
    assert packed.lengths().tolist() == sorted(LENGTHS, reverse=True)
    assert packed.batch_sizes.tolist() == [3, 2, 2, 1]
    assert packed.sorted_indices.tolist() == [0, 2, 1] and packed.unsorted_indices.tolist() == [0, 2, 1]
    assert packed.to("cpu").batch_sizes is packed.batch_sizes


def test_pad_packed_sequence_refuses_a_short_total_length():
    packed = rnn.pack_sequence([lk.tensor(np.ones((n, 2))) for n in (4, 2)])
    with pytest.raises(ValueError, match="total_length=3 is shorter than the longest"):
        rnn.pad_packed_sequence(packed, total_length=3)
    with pytest.raises(TypeError, match="expected a PackedSequence"):
        rnn.pad_packed_sequence(lk.tensor(np.ones((2, 2))))


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_unbatched_input_gives_the_batched_answer_without_the_batch_axis(kind):
    gen = np.random.default_rng(3)
    layer = getattr(nn, kind)(2, 3, 2, bidirectional=True, dtype="float64")
    x = lk.tensor(gen.standard_normal((5, 2)))
    out, final = layer(x)
    out_b, final_b = layer(x.reshape(5, 1, 2))
    np.testing.assert_allclose(out.numpy(), out_b.numpy()[:, 0], rtol=1e-15)
    h, h_b = (final[0], final_b[0]) if kind == "LSTM" else (final, final_b)
    assert h.shape == (4, 3)
    np.testing.assert_allclose(h.numpy(), h_b.numpy()[:, 0], rtol=1e-15)


def test_recurrent_layers_explain_bad_arguments_and_states():
    with pytest.raises(ValueError, match=r"proj_size \(4\) must be smaller than hidden_size \(4\)"):
        nn.LSTM(2, 4, proj_size=4)
    with pytest.raises(ValueError, match="proj_size is an LSTM option"):
        nn.RNNBase("GRU", 2, 4, proj_size=2)
    with pytest.warns(UserWarning, match="acts only between layers"):
        nn.GRU(2, 4, dropout=0.5)
    gru = nn.GRU(2, 4, bidirectional=True)
    x = lk.tensor(np.zeros((3, 2, 2), dtype="float32"))
    with pytest.raises(ValueError, match=r"expected h0 of shape \(2, 2, 4\) \(num_layers \* num_directions"):
        gru(x, lk.zeros(1, 2, 4))
    with pytest.raises(TypeError, match="one tensor h0"):
        gru(x, (lk.zeros(2, 2, 4),))
    lstm = nn.LSTM(2, 4, proj_size=2)
    with pytest.raises(ValueError, match=r"h0 of shape \(1, 2, 2\).*proj_size"):
        lstm(x, (lk.zeros(1, 2, 4), lk.zeros(1, 2, 4)))
    with pytest.raises(TypeError, match=r"pair \(h0, c0\)"):
        lstm(x, lk.zeros(1, 2, 2))
    with pytest.raises(ValueError, match="expected a 3-D input"):
        lstm(lk.tensor(np.zeros((1, 3, 2, 2), dtype="float32")))
    with pytest.raises(ValueError, match="input_size=2"):
        gru(lk.tensor(np.zeros((3, 2, 5), dtype="float32")))
