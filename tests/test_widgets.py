"""Widgets, driven from Python as a notebook front end would: set a slider, read what is shown."""

from __future__ import annotations

import re

import numpy as np
import pytest

import lstmkit as lk
from lstmkit import gates
from lstmkit.nn import LSTMCell
from lstmkit.widgets import (
    GateExplorer,
    LivePlot,
    SequencePlayer,
    cell_explorer,
    forget_gate_explorer,
    learn_gate_explorer,
    remember_gate_explorer,
    use_gate_explorer,
)
from lstmkit.widgets.diagram import cell_svg
from lstmkit.widgets.explorer import SLIDERS

SLIDER_VALUES = {
    "event": 1.7, "stm_prev": -0.4, "ltm_prev": 2.2,
    "W_n_stm": 0.3, "W_n_event": -1.2, "b_n": 0.25,
    "W_i_stm": 1.1, "W_i_event": 0.6, "b_i": -0.5,
    "W_f_stm": -0.8, "W_f_event": 0.9, "b_f": 1.3,
    "W_v_stm": 2.0, "W_v_event": -0.7, "b_v": 0.1,
    "W_u": -1.4, "b_u": 0.35,
}


def expected_values(s: dict[str, float], variant: str) -> dict[str, float]:
    """Every intermediate of the one-unit cell, straight from lstmkit.gates."""
    t = {k: lk.tensor([[s[k]]]) for k in ("event", "stm_prev", "ltm_prev")}
    w = {f"W_{g}": lk.tensor([[s[f"W_{g}_stm"], s[f"W_{g}_event"]]]) for g in "nifv"}
    w.update({f"b_{g}": lk.tensor([s[f"b_{g}"]]) for g in "nifv"})
    w["W_u"], w["b_u"] = lk.tensor([[s["W_u"]]]), lk.tensor([s["b_u"]])
    step = gates.lstm_step(t["event"], t["stm_prev"], t["ltm_prev"], w, variant)
    return {
        "N_t": step.N_t.item(), "i_t": step.i_t.item(), "learn_output": step.learn_output.item(),
        "f_t": step.f_t.item(), "forget_output": step.forget_output.item(), "ltm_t": step.ltm.item(),
        "U_t": step.U_t.item(), "V_t": step.V_t.item(), "stm_t": step.stm.item(),
    }


def shown(html: str) -> dict[str, str]:
    """data-lstmkit key -> data-value string, as found in the widget's HTML."""
    return dict(re.findall(r'data-lstmkit="([^"]+)" data-value="([^"]*)"', html))


EXPLORERS = {
    "learn": (learn_gate_explorer, ["N_t", "i_t", "learn_output"]),
    "forget": (forget_gate_explorer, ["f_t", "forget_output"]),
    "remember": (remember_gate_explorer, ["N_t", "i_t", "learn_output", "f_t", "forget_output", "ltm_t"]),
    "use": (use_gate_explorer, ["f_t", "forget_output", "U_t", "V_t", "stm_t"]),
    "cell": (cell_explorer, ["N_t", "i_t", "learn_output", "f_t", "forget_output", "ltm_t", "U_t", "V_t", "stm_t"]),
}


@pytest.mark.parametrize("variant", ["article", "standard"])
@pytest.mark.parametrize("gate", list(EXPLORERS))
def test_explorer_shows_exactly_what_the_gates_return_after_sliders_move(gate: str, variant: str) -> None:
    make, keys = EXPLORERS[gate]
    explorer = make()
    if gate in ("use", "cell"):
        explorer.variant_switch.value = variant
    for key, value in SLIDER_VALUES.items():
        explorer.sliders[key].value = value  # one by one, as a learner drags them
    expected = expected_values(SLIDER_VALUES, variant if gate in ("use", "cell") else "article")
    if gate in ("use", "cell") and variant == "standard":
        keys = EXPLORERS["cell"][1]
    assert explorer.error is None
    assert set(explorer.values) == set(keys)
    for key in keys:
        assert explorer.values[key] == expected[key], key
    on_page = shown(explorer.readout.value)
    for key in keys:
        assert float(on_page[key]) == expected[key], key


def test_use_gate_switch_changes_stm_between_article_and_standard() -> None:
    explorer = cell_explorer(**SLIDER_VALUES)
    article = explorer.values["stm_t"]
    explorer.variant_switch.value = "standard"
    standard = explorer.values["stm_t"]
    assert article == expected_values(SLIDER_VALUES, "article")["stm_t"]
    assert standard == expected_values(SLIDER_VALUES, "standard")["stm_t"]
    assert article != standard
    assert "tanh(LTM" in explorer.diagram.value


def test_explorer_hides_sliders_its_gate_does_not_read() -> None:
    learn = learn_gate_explorer()
    assert learn._rows["ltm_prev"].layout.display == "none"
    assert learn._rows["W_n_event"].layout.display is None
    use = use_gate_explorer()
    assert use._rows["W_u"].layout.display is None
    use.variant_switch.value = "standard"
    assert use._rows["W_u"].layout.display == "none"


def test_explorer_uses_the_learners_function() -> None:
    calls = []

    def my_learn_gate(stm_prev, event, W_n, b_n, W_i, b_i):
        calls.append(event.item())
        N_t = (lk.concat([stm_prev, event], axis=-1) @ W_n.T + b_n).tanh()
        i_t = (lk.concat([stm_prev, event], axis=-1) @ W_i.T + b_i).sigmoid()
        return N_t * i_t * 0.5, N_t, i_t  # a deliberate slip: halves the output

    explorer = learn_gate_explorer(my_learn_gate)
    explorer.sliders["event"].value = 2.5
    assert calls[-1] == pytest.approx(2.5)
    library = expected_values({**SLIDER_VALUES, **{k: s.value for k, s in explorer.sliders.items()}}, "article")
    assert explorer.values["learn_output"] == pytest.approx(library["learn_output"] * 0.5, rel=1e-6)
    assert explorer.values["N_t"] == library["N_t"]
    assert explorer.from_library == set()
    assert len(explorer.notes) == 1 and "Your learn gate gives" in explorer.notes[0]
    assert f"lstmkit.gates gives {library['learn_output']:.4f}" in explorer.message.value


def exercise_gates():
    """Learner answers with the course exercises' signatures: each returns its output alone."""

    def join(stm_prev, event):
        return lk.concat([stm_prev, event], axis=-1)

    def learn_gate(stm_prev, event, W_n, b_n, W_i, b_i):
        x = join(stm_prev, event)
        return (x @ W_n.T + b_n).tanh() * (x @ W_i.T + b_i).sigmoid()

    def forget_gate(stm_prev, event, ltm_prev, W_f, b_f):
        return ltm_prev * (join(stm_prev, event) @ W_f.T + b_f).sigmoid()

    def remember_gate(stm_prev, event, ltm_prev, W_n, b_n, W_i, b_i, W_f, b_f):
        return forget_gate(stm_prev, event, ltm_prev, W_f, b_f) + learn_gate(stm_prev, event, W_n, b_n, W_i, b_i)

    def use_gate_article(stm_prev, event, forget_output, W_u, b_u, W_v, b_v):
        return (forget_output @ W_u.T + b_u).tanh() * (join(stm_prev, event) @ W_v.T + b_v).sigmoid()

    def use_gate_standard(stm_prev, event, ltm, W_v, b_v):
        return ltm.tanh() * (join(stm_prev, event) @ W_v.T + b_v).sigmoid()

    return learn_gate, forget_gate, remember_gate, use_gate_article, use_gate_standard


@pytest.mark.parametrize("variant", ["article", "standard"])
def test_explorer_runs_learner_functions_with_the_exercise_signatures(variant: str) -> None:
    learn, forget, remember, use_article, use_standard = exercise_gates()
    explorer = cell_explorer(
        variant=variant, learn_gate=learn, forget_gate=forget, remember_gate=remember,
        use_gate=use_article if variant == "article" else use_standard, **SLIDER_VALUES,
    )
    expected = expected_values(SLIDER_VALUES, variant)
    assert explorer.error is None and explorer.notes == []
    for key in ("learn_output", "forget_output", "ltm_t", "stm_t"):
        assert explorer.values[key] == pytest.approx(expected[key], rel=1e-6), key
    # what the learner's functions do not return comes from lstmkit.gates, and says so
    assert explorer.from_library == {"N_t", "i_t", "f_t", "U_t", "V_t"}
    assert explorer.values["N_t"] == expected["N_t"]
    assert "from lstmkit.gates" in explorer.readout.value


def test_explorer_says_when_the_learners_use_gate_is_the_other_variant() -> None:
    *_, use_article, _ = exercise_gates()
    explorer = use_gate_explorer(use_article)
    assert explorer.error is None
    explorer.variant_switch.value = "standard"
    assert "is the article use gate, but the switch says standard" in explorer.error


def test_learner_function_that_raises_is_reported_not_crashing() -> None:
    def broken_forget_gate(stm_prev, event, ltm_prev, W_f, b_f):
        raise ZeroDivisionError("oops in my forget gate")

    explorer = cell_explorer(forget_gate=broken_forget_gate)
    assert "forget_gate" in explorer.error and "broken_forget_gate" in explorer.error
    assert "ZeroDivisionError: oops in my forget gate" in explorer.error
    assert "lstmkit-error" in explorer.message.value and "oops in my forget gate" in explorer.message.value
    assert all(value is None for value in explorer.values.values())
    assert "—" in explorer.readout.value
    explorer.sliders["event"].value = -1.0  # still alive: moving a slider reports again
    assert "oops" in explorer.error
    explorer.functions["forget"] = gates.forget_gate
    explorer.refresh()
    assert explorer.error is None and explorer.message.value == ""


def test_learner_function_returning_the_wrong_thing_is_explained() -> None:
    explorer = remember_gate_explorer(remember_gate=lambda forget_output, learn_output: 1.0)
    assert "remember_gate" in explorer.error and "expected an lstmkit Tensor" in explorer.error
    explorer = learn_gate_explorer(lambda *args: (lk.tensor([[1.0]]), lk.tensor([[1.0]])))
    assert "tuple of length 2" in explorer.error and "tuple of 3 Tensors (output, N_t, i_t)" in explorer.error
    explorer = forget_gate_explorer(lambda *args: lk.tensor([[1.0, 2.0]]))
    assert "shape (1, 2)" in explorer.error and "expected shape (1, 1)" in explorer.error


def test_explorer_rejects_unknown_gate_and_slider_names() -> None:
    with pytest.raises(ValueError, match="gate must be one of"):
        GateExplorer("output")
    with pytest.raises(TypeError, match="unknown slider"):
        cell_explorer(evnt=1.0)


def test_diagram_draws_wider_wires_for_larger_values_and_labels_them() -> None:
    small = cell_svg({"stm_t": 0.05}, variant="standard")
    large = cell_svg({"stm_t": -0.95}, variant="standard")

    def width(svg: str) -> float:
        return float(re.search(r'data-lstmkit-wire="stm_t"[^>]*stroke-width="([\d.]+)"', svg).group(1))

    assert width(large) > width(small)
    assert "-0.950" in large and "0.050" in small
    assert re.search(r'data-lstmkit-wire="stm_t"[^>]*stroke="#d62728"', large)  # negative: red


# ---------------------------------------------------------------------- sequence player


def make_weights(hidden: int, event: int, seed: int = 0) -> dict[str, lk.Tensor]:
    rng = np.random.default_rng(seed)
    w = {k: lk.tensor(rng.normal(size=(hidden, hidden + event))) for k in ("W_n", "W_i", "W_f", "W_v")}
    w.update({k: lk.tensor(rng.normal(size=(hidden,))) for k in ("b_n", "b_i", "b_f", "b_v", "b_u")})
    w["W_u"] = lk.tensor(rng.normal(size=(hidden, hidden)))
    return w


def reference_run(weights, events: np.ndarray, variant: str) -> list[gates.LSTMStep]:
    hidden = weights["W_n"].shape[0]
    stm, ltm = lk.zeros(1, hidden, dtype="float64"), lk.zeros(1, hidden, dtype="float64")
    out = []
    for e in events:
        step = gates.lstm_step(lk.tensor(e[None, :]), stm, ltm, weights, variant)
        out.append(step)
        stm, ltm = step.stm, step.ltm
    return out


@pytest.mark.parametrize("variant", ["article", "standard"])
def test_player_step_change_shows_that_steps_values(variant: str) -> None:
    weights = make_weights(3, 2)
    events = np.random.default_rng(1).normal(size=(6, 2))
    player = SequencePlayer(weights, events, variant=variant)
    reference = reference_run(weights, events, variant)
    first_frame = player.image.value
    player.slider.value = 4
    assert player.step == 4
    assert player.values["stm_t"] == reference[4].stm.numpy()[0].tolist()
    assert player.values["ltm_t"] == reference[4].ltm.numpy()[0].tolist()
    assert player.values["f_t"] == reference[4].f_t.numpy()[0].tolist()
    assert player.values["V_t"] == reference[4].V_t.numpy()[0].tolist()
    assert bytes(player.image.value).startswith(b"\x89PNG") and player.image.value != first_frame
    assert 'data-lstmkit="stm_t"' in player.current.value and "t = 4" in player.current.value
    assert player.history["ltm"].shape == (6, 3)


@pytest.mark.parametrize("variant", ["article", "standard"])
def test_player_accepts_an_lstm_cell_and_a_batch_of_one_sequence(variant: str) -> None:
    cell = LSTMCell(3, 2, variant=variant)
    events = np.random.default_rng(3).normal(size=(5, 1, 3)).astype("float32")
    player = SequencePlayer(cell, lk.tensor(events))
    stm, ltm = lk.zeros(1, 2), lk.zeros(1, 2)
    for t in range(3):
        step = gates.lstm_step(lk.tensor(events[t]), stm, ltm, cell.gate_weights(), variant)
        stm, ltm = step.stm, step.ltm
    player.slider.value = 2
    assert player.variant == variant
    assert player.values["stm_t"] == stm.numpy()[0].tolist()
    assert player.values["ltm_t"] == ltm.numpy()[0].tolist()


def test_player_explains_a_sequence_of_the_wrong_shape() -> None:
    with pytest.raises(ValueError, match=r"expected \(T, 2\) or \(T, 1, 2\)"):
        SequencePlayer(make_weights(3, 2), np.zeros((4, 5, 2)))


# ---------------------------------------------------------------------- live plot


def test_liveplot_keeps_history_and_renders_it_at_close_without_a_front_end() -> None:
    plot = LivePlot(min_interval_s=0.0)
    for step in range(20):
        plot.update(step, 1.0 / (step + 1), val=0.5 + step / 100 if step % 5 == 0 else None)
    assert plot.steps == list(range(20))
    assert plot.losses[3] == pytest.approx(0.25)
    assert plot.vals[5] == pytest.approx(0.55) and plot.vals[6] is None
    assert plot.renders == 0 and bytes(plot.image.value) == b""  # nothing shown, nothing drawn
    png = plot.close()
    assert png.startswith(b"\x89PNG") and bytes(plot.image.value) == png
    assert len(plot._figure.axes) == 1  # training and validation on one y-scale
    loss_line, val_line = plot._figure.axes[0].lines
    assert list(loss_line.get_xdata()) == plot.steps
    assert list(val_line.get_xdata()) == [0, 5, 10, 15]


def _legend(plot: LivePlot) -> tuple[str, list[str]]:
    """The live plot's legend: its title (the latest step) and its labels (latest values)."""
    (legend,) = plot._figure.legends
    return legend.get_title().get_text(), [text.get_text() for text in legend.get_texts()]


def test_liveplot_legend_sits_beside_the_axes_and_the_title_fits() -> None:
    plot = LivePlot("LSTM on the adding problem", loss_label="training MSE", val_label="validation MSE",
                    display=False)
    for step in range(50):
        plot.update(step, 1.0 / (step + 1), val=1.2 / (step + 1) if step % 10 == 0 else None)
    plot.close()
    figure = plot._figure
    renderer = figure.canvas.get_renderer()
    axes_box = figure.axes[0].get_window_extent(renderer)
    (legend,) = figure.legends
    legend_box = legend.get_window_extent(renderer)
    assert legend_box.x0 >= axes_box.x1  # never over the curves
    assert legend_box.x1 <= figure.bbox.x1 + 1
    title_box = figure._suptitle.get_window_extent(renderer)
    assert figure.bbox.x0 <= title_box.x0 and title_box.x1 <= figure.bbox.x1 and title_box.y1 <= figure.bbox.y1 + 1
    labels = [text.get_text() for text in legend.get_texts()]
    assert labels == ["training MSE: 0.02", "validation MSE: 0.02927"]  # the last of each: steps 49 and 40


def test_liveplot_redraws_on_update_once_shown_and_throttles() -> None:
    plot = LivePlot(min_interval_s=3600.0, display=False)
    plot._shown = True  # as after display() in a notebook
    plot.update(0, 2.0)
    plot.update(1, 1.5)
    plot.update(2, 1.0)
    assert plot.renders == 1  # the first update draws; the rest wait for the throttle
    plot.min_interval_s = 0.0
    plot.update(3, 0.5)
    assert plot.renders == 2
    assert _legend(plot) == ("step 3", ["loss: 0.5"])


def test_liveplot_draws_the_points_the_throttle_skipped_when_the_cell_ends() -> None:
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    plot = LivePlot(min_interval_s=3600.0, display=False)
    plot._shown = True  # as after display() in a notebook
    shell.user_ns["plot"] = plot
    shell.run_cell("for step in range(5):\n    plot.update(step, 1.0 / (step + 1))\n")
    assert plot.renders == 2  # the first update, then once at the end of the cell
    assert not plot.renders_behind() and _legend(plot)[0] == "step 4"
    shell.run_cell("1 + 1")
    assert plot.renders == 2  # nothing new, no redraw; the hook is gone


# ---------------------------------------------------------------------- sliders


def test_slider_keeps_a_value_set_from_code_exactly_and_the_front_end_sees_it() -> None:
    explorer = learn_gate_explorer()
    slider = explorer.sliders["event"]
    explorer.set(event=2.0, b_i=0.123456)
    assert slider.value == 2.0 and slider.bar.value == 200 and slider.box.value == 2.0
    assert explorer.sliders["b_i"].value == 0.123456 and explorer.sliders["b_i"].bar.value == 12
    slider.bar.set_state({"value": 200})  # the front end drawing the same position again
    slider.box.set_state({"value": 2.0})
    assert slider.value == 2.0
    assert explorer.sliders["b_i"].value == 0.123456  # its box shows 0.12; the kernel keeps the exact value


def test_slider_follows_the_learner_dragging_the_bar_or_typing_a_number() -> None:
    explorer = learn_gate_explorer()
    slider = explorer.sliders["event"]
    before = explorer.values["learn_output"]
    slider.bar.set_state({"value": -235})  # dragged to -2.35
    assert slider.value == pytest.approx(-2.35) and slider.box.value == pytest.approx(-2.35)
    assert explorer.values["learn_output"] != before
    defaults = {key: default for key, (_, default) in SLIDERS.items()}
    want = expected_values({**defaults, "event": -2.35}, "article")
    assert explorer.values == pytest.approx({key: want[key] for key in explorer.values})
    slider.box.set_state({"value": 0.5})  # typed
    assert slider.value == 0.5 and slider.bar.value == 50


def test_slider_values_are_clamped_to_its_range() -> None:
    explorer = learn_gate_explorer()
    explorer.set(event=7.0, b_n=-9.0)
    assert explorer.sliders["event"].value == 3.0 and explorer.sliders["b_n"].value == -3.0


def test_variant_and_hidden_sliders_follow_the_code() -> None:
    explorer = use_gate_explorer(variant="article")
    learn_rows = [explorer._rows[key] for key in ("W_n_event", "b_i")]
    assert explorer.variant_switch.value == "article"
    assert all(row.layout.display == "none" for row in learn_rows)
    explorer.variant_switch.value = "standard"
    assert all(row.layout.display is None for row in learn_rows)
    explorer.variant_switch.value = "article"
    assert all(row.layout.display == "none" for row in learn_rows)
    assert explorer._rows["W_u"].layout.display is None
