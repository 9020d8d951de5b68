"""The IPython extension in a real (terminal-less) IPython shell: Tensor HTML, graphs, %%exercise."""

from __future__ import annotations

import base64
import re
import sys
import types

import numpy as np
import pytest
from IPython.core.interactiveshell import InteractiveShell

import lstmkit
import lstmkit as lk
from lstmkit import gates, jupyter
from lstmkit.nn import Parameter
from lstmkit.widgets import graph


@pytest.fixture(scope="module")
def shell() -> InteractiveShell:
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "lstmkit.jupyter")
    return ip


def html_of(shell: InteractiveShell, value: object) -> str | None:
    data, _ = shell.display_formatter.format(value)
    return data.get("text/html")


def test_tensor_html_lists_shape_dtype_device_grad_and_values(shell: InteractiveShell) -> None:
    x = lk.tensor([[1.5, -2.0, 0.25]], requires_grad=True)
    y = (x * 3.0).tanh()
    leaf, inner = html_of(shell, x), html_of(shell, y)
    assert "(1, 3)" in leaf and "float32" in leaf and "cpu" in leaf
    assert "requires_grad</th><td style=\"padding:1px 0\">True" in leaf
    assert "a leaf" in leaf and "1.5" in leaf and "-2." in leaf
    assert "<code>tanh</code>" in inner


def test_tensor_html_marks_parameters_and_abridges_large_tensors(shell: InteractiveShell) -> None:
    param = Parameter(lk.tensor(np.arange(1000.0).reshape(10, 100)))
    card = html_of(shell, param)
    assert "<b>Parameter</b>" in card and "(10, 100)" in card
    assert "..." in card and "999." in card
    assert "0 / 499.5 / 999" in card  # min / mean / max


def test_unload_removes_the_tensor_view(shell: InteractiveShell) -> None:
    jupyter.unload_ipython_extension(shell)
    assert html_of(shell, lk.tensor([1.0])) is None
    jupyter.load_ipython_extension(shell)
    assert "lstmkit-tensor" in html_of(shell, lk.tensor([1.0]))


def small_step_graph():
    rng = np.random.default_rng(0)
    weights = {k: Parameter(lk.tensor(rng.normal(size=(2, 5)))) for k in ("W_n", "W_i", "W_f", "W_v")}
    weights.update({k: Parameter(lk.tensor(rng.normal(size=(2,)))) for k in ("b_n", "b_i", "b_f", "b_v")})
    event = lk.tensor(rng.normal(size=(1, 3)))
    stm, ltm = lk.zeros(1, 2, dtype="float64"), lk.zeros(1, 2, dtype="float64")
    step = gates.lstm_step(event, stm, ltm, weights, "standard")
    return (step.stm * step.stm).sum(), weights


def test_draw_graph_marks_parameters_ops_constants_and_the_output() -> None:
    loss, weights = small_step_graph()
    drawing = jupyter.draw_graph(loss, weights)
    kinds = re.findall(r'data-kind="(\w+)"', drawing.svg)
    assert kinds.count("param") == 8 and kinds.count("output") == 1
    assert kinds.count("const") >= 1 and kinds.count("op") > 10
    for name in weights:
        assert f">{name}<" in drawing.svg
    assert "(2, 5) float64" in drawing.svg and "grad_fn=sum" in drawing.svg
    shown = drawing._repr_html_()  # an <img>: shown in an untrusted notebook, scaled to the output
    assert shown.startswith('<img class="lstmkit-graph"') and "max-width:100%" in shown
    encoded = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', shown).group(1)
    assert base64.b64decode(encoded).decode("utf-8") == drawing.svg
    assert not hasattr(drawing, "_repr_svg_")  # no inline SVG: untrusted output strips it to jumbled text


def test_draw_graph_colours_tensors_by_what_they_are_not_by_their_name() -> None:
    w = lk.tensor([[0.5, -1.0]], requires_grad=True)
    x = lk.tensor([[1.0, 2.0]])
    p = Parameter(lk.tensor([0.1]))
    drawing = jupyter.draw_graph((x @ w.T + p).sum(), {"w": w, "x": x, "p": p})
    found = {name: kind for kind, name in re.findall(r'data-kind="(\w+)"><title>(\w+) ', drawing.svg)}
    assert found["w"] == "leaf" and found["x"] == "const" and found["p"] == "param"
    legend = drawing.svg[: drawing.svg.index('<g class="lstmkit-node"')]
    assert "leaf, requires grad" in legend and "constant (no grad)" in legend and "parameter" in legend
    assert "not drawn" not in legend  # the legend lists only the kinds drawn


def test_a_deep_graph_is_drawn_top_to_bottom_and_a_shallow_one_left_to_right() -> None:
    def width(drawing) -> float:
        return float(re.match(r'<svg [^>]*width="([\d.]+)"', drawing.svg).group(1))

    x = lk.tensor([0.5], requires_grad=True)
    shallow = jupyter.draw_graph((x * 2.0).sum())
    y = x
    for _ in range(30):
        y = y.tanh()
    deep = jupyter.draw_graph(y)
    assert width(shallow) <= graph.FITS_WIDTH
    assert width(deep) < 30 * graph.COL_W  # left to right it would be 30 columns wide
    cy = [float(v) for v in re.findall(r'<rect x="[\d.]+" y="([\d.]+)" width="136"', deep.svg)]
    assert max(cy) - min(cy) > 25 * graph.NODE_H  # the chain runs down the page


def test_draw_graph_counts_each_op_once_even_when_reused() -> None:
    x = lk.tensor([2.0], requires_grad=True)
    y = x * x
    z = y + y  # y's op feeds z twice: still one node
    drawing = jupyter.draw_graph(z)
    kinds = re.findall(r'data-kind="(\w+)"', drawing.svg)
    assert kinds.count("op") == 2 and kinds.count("leaf") == 1 and drawing.nodes == 4


def test_draw_graph_of_a_deep_chain_and_its_cut() -> None:
    x = lk.tensor([0.5], requires_grad=True)
    y = x
    for _ in range(1500):  # far deeper than Python's recursion limit
        y = y * 1.0
    whole = jupyter.draw_graph(y, max_nodes=5000)
    assert whole.nodes == 1500 + 1500 + 2 and not whole.truncated  # ops, their constants, leaf, output
    cut = jupyter.draw_graph(y, max_nodes=50)
    assert cut.truncated and "graph cut at 50 nodes" in cut.svg


def test_draw_graph_rejects_a_non_tensor() -> None:
    with pytest.raises(TypeError, match="expected an lstmkit Tensor"):
        jupyter.draw_graph(np.zeros(3))


@pytest.fixture
def stub_course(monkeypatch: pytest.MonkeyPatch) -> list:
    """A stand-in for lstmkit.course whose check() records what it was given."""
    calls: list = []
    course = types.ModuleType("lstmkit.course")

    def check(name, fn):
        calls.append((name, fn))
        print(f"checked {name}")  # the real check() shows its own feedback

    course.check = check
    monkeypatch.setitem(sys.modules, "lstmkit.course", course)
    monkeypatch.setattr(lstmkit, "course", course, raising=False)
    return calls


def test_exercise_magic_runs_the_cell_then_checks_the_function(
    shell: InteractiveShell, stub_course: list, capsys: pytest.CaptureFixture
) -> None:
    result = shell.run_cell("%%exercise double_it\ndef double_it(x):\n    return 2 * x\n")
    assert result.success and result.result is None
    assert capsys.readouterr().out.count("checked double_it") == 1  # feedback shown once
    name, fn = stub_course[-1]
    assert name == "double_it" and fn(21) == 42
    assert shell.user_ns["double_it"] is fn


def test_exercise_magic_finds_the_only_function_under_another_name(shell: InteractiveShell, stub_course: list) -> None:
    shell.run_cell("%%exercise triple\ndef my_triple(x):\n    return 3 * x\nhelper_value = 1\n")
    name, fn = stub_course[-1]
    assert name == "triple" and fn(2) == 6


def test_exercise_magic_does_not_check_a_cell_that_raised(
    shell: InteractiveShell, stub_course: list, capsys: pytest.CaptureFixture
) -> None:
    shell.run_cell("%%exercise broken\ndef broken(x):\n    return x\nraise ValueError('nope')\n")
    assert stub_course == []
    assert "was not checked" in capsys.readouterr().out


def test_exercise_magic_without_a_name_prints_usage(shell: InteractiveShell, capsys: pytest.CaptureFixture) -> None:
    shell.run_cell("%%exercise\ndef f(x):\n    return x\n")
    assert "Usage: %%exercise NAME" in capsys.readouterr().out


def test_exercise_magic_gives_the_course_feedback_for_a_learner_answer(
    shell: InteractiveShell, capsys: pytest.CaptureFixture
) -> None:
    cell = (
        "%%exercise learn_gate\n"
        "import lstmkit as lk\n"
        "def learn_gate(stm_prev, event, W_n, b_n, W_i, b_i):\n"
        "    x = lk.concat([stm_prev, event], axis=-1)\n"
        "    return (x @ W_n.T + b_n).tanh() {} (x @ W_i.T + b_i).sigmoid()\n"
    )
    shell.run_cell(cell.format("*"))
    assert "learn_gate: passed" in capsys.readouterr().out
    shell.run_cell(cell.format("+"))
    out = capsys.readouterr().out
    assert "learn_gate" in out and "passed" not in out.splitlines()[0]
