"""PyTorch LSTM programs in the style of the public ones run on lstmkit with only their imports changed.

Each program in tests/ported_programs/ is plain torch code (it imports ``torch``,
``torch.nn``, ``torch.nn.functional`` and ``torch.optim``, nothing else of torch). The
same source is run twice: once with torch, once with those four names bound to
``lstmkit``, ``lstmkit.nn``, ``lstmkit.functional`` and ``lstmkit.optim`` and nothing
else changed. The torch run saves its initial weights (``--save-init``), the lstmkit run
starts from them (``--init``), and every loss the program records must agree to 1e-10
in float64.
"""

from __future__ import annotations

import builtins
import importlib
import math
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import lstmkit as lk
from lstmkit import rng

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

PROGRAMS = Path(__file__).resolve().parent / "ported_programs"
TOLERANCE = 1e-10

# the whole port: which lstmkit module each torch import names (docs/pytorch.md, "Porting")
LSTMKIT_FOR_TORCH = {
    "torch": "lstmkit",
    "torch.nn": "lstmkit.nn",
    "torch.nn.functional": "lstmkit.functional",
    "torch.optim": "lstmkit.optim",
}


class MappedModule(types.ModuleType):
    """A torch module name standing for its lstmkit module: ``torch.nn`` reads as ``lstmkit.nn``.

    Attributes come from the lstmkit module, except the torch submodules in the mapping
    (``torch.nn.functional`` is ``lstmkit.functional``, not ``lstmkit.nn.functional``).
    """

    def __init__(self, torch_name: str) -> None:
        super().__init__(torch_name)
        self.lstmkit_module = importlib.import_module(LSTMKIT_FOR_TORCH[torch_name])

    def __getattr__(self, attr: str) -> Any:
        submodule = f"{self.__name__}.{attr}"
        if submodule in LSTMKIT_FOR_TORCH:
            return MappedModule(submodule)
        return getattr(self.lstmkit_module, attr)


def import_with_lstmkit_for_torch(name, globals=None, locals=None, fromlist=(), level=0):  # noqa: A002
    """``__import__`` that answers the torch names of the mapping with lstmkit and refuses other torch names."""
    if level == 0 and (name == "torch" or name.startswith("torch.")):
        if name not in LSTMKIT_FOR_TORCH:
            raise ImportError(f"the ported program imports {name!r}, which the lstmkit mapping does not cover")
        return MappedModule(name if fromlist else "torch")
    return builtins.__import__(name, globals, locals, fromlist, level)


def load_program(name: str, *, on: str) -> dict[str, Any]:
    """The program's namespace after running its source (not its ``__main__`` block) on torch or lstmkit."""
    path = PROGRAMS / f"{name}.py"
    namespace: dict[str, Any] = {"__name__": f"ported_{name}", "__file__": str(path)}
    if on == "lstmkit":
        namespace["__builtins__"] = {**vars(builtins), "__import__": import_with_lstmkit_for_torch}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)  # noqa: S102
    return namespace


@pytest.fixture
def global_state(monkeypatch: pytest.MonkeyPatch):
    """Programs seed generators and set default dtypes; put everything back afterwards."""
    monkeypatch.setattr(rng, "_generator", rng.generator())
    numpy_state = np.random.get_state()
    torch_rng, torch_dtype, lk_dtype = torch.get_rng_state(), torch.get_default_dtype(), lk.get_default_dtype()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models: threads only add overhead
    yield
    torch.set_num_threads(threads)
    torch.set_rng_state(torch_rng)
    torch.set_default_dtype(torch_dtype)
    lk.set_default_dtype(lk_dtype)
    np.random.set_state(numpy_state)


def run_both(name: str, argv: list[str], tmp_path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Results of the program on torch, then on lstmkit started from torch's initial weights."""
    torch_init, lstmkit_init = tmp_path / "init.pt", tmp_path / "init.lstmkit"
    on_torch = load_program(name, on="torch")["main"]([*argv, "--save-init", str(torch_init)])
    lk.save(torch.load(torch_init), lstmkit_init)  # torch tensors go in as they are, NumPy arrays come out
    on_lstmkit = load_program(name, on="lstmkit")["main"]([*argv, "--init", str(lstmkit_init)])
    return on_torch, on_lstmkit


def largest_difference(a: Any, b: Any) -> float:
    """max |a - b| over two equally shaped nests of numbers."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, f"torch gave shape {a.shape}, lstmkit {b.shape}"
    return float(np.max(np.abs(a - b))) if a.size else 0.0


def assert_same_trajectory(on_torch: dict[str, Any], on_lstmkit: dict[str, Any], keys: list[str]) -> None:
    for key in keys:
        assert np.all(np.isfinite(on_torch[key])), f"torch's {key} are not finite: {on_torch[key]}"
        gap = largest_difference(on_torch[key], on_lstmkit[key])
        assert gap <= TOLERANCE, f"{key}: lstmkit differs from torch by {gap:.3g} (tolerance {TOLERANCE:g})"


def test_pos_tagger_trains_like_torch(tmp_path, global_state):
    on_torch, on_lstmkit = run_both("pos_tagger", ["--epochs", "25"], tmp_path)
    assert len(on_torch["losses"]) == 25 * 3
    assert on_torch["losses"][-1] < on_torch["losses"][0]  # it learns
    assert_same_trajectory(on_torch, on_lstmkit, ["losses", "scores_before", "scores_after"])
    assert on_lstmkit["tags"] == on_torch["tags"]
    # the tutorial's first cell: one step at a time is the whole sequence at once, in each library
    assert on_torch["warm_up_gap"] < 1e-12 and on_lstmkit["warm_up_gap"] < 1e-12


@pytest.mark.parametrize(
    "options",
    [["--model", "LSTM", "--tied"], ["--model", "LSTM"], ["--model", "GRU", "--nlayers", "1"]],
    ids=["lstm-tied", "lstm-untied", "gru"],
)
def test_word_language_model_trains_like_torch(tmp_path, global_state, options):
    argv = [*options, "--double", "--dropout", "0", "--epochs", "3", "--save", str(tmp_path / "best")]
    on_torch, on_lstmkit = run_both("word_language_model", argv, tmp_path)
    assert len(on_torch["losses"]) == 3 * 4  # 4 batches of bptt 5 per epoch
    assert_same_trajectory(on_torch, on_lstmkit, ["losses", "val_losses", "test_loss"])
    assert math.isclose(on_lstmkit["best_val_loss"], min(on_lstmkit["val_losses"]))


def test_word_language_model_with_dropout_runs_on_lstmkit(tmp_path, global_state):
    """Training-mode dropout draws from lstmkit's generator, so only the run itself can be compared."""
    common = ["--double", "--epochs", "1", "--save", str(tmp_path / "best")]
    _, without = run_both("word_language_model", [*common, "--dropout", "0"], tmp_path)
    init = ["--init", str(tmp_path / "init.lstmkit")]
    program = load_program("word_language_model", on="lstmkit")
    with_dropout = program["main"]([*common, "--dropout", "0.5", *init])
    assert np.all(np.isfinite(with_dropout["losses"])) and math.isfinite(with_dropout["test_loss"])
    assert largest_difference(with_dropout["losses"], without["losses"]) > 1e-3  # masks were drawn


def test_time_sequence_prediction_trains_like_torch(tmp_path, global_state):
    on_torch, on_lstmkit = run_both("time_sequence_prediction", ["--steps", "2", "--future", "10"], tmp_path)
    assert len(on_torch["losses"]) > 2  # LBFGS evaluates the closure several times per step
    assert on_torch["test_losses"][-1] < on_torch["test_losses"][0]
    assert_same_trajectory(on_torch, on_lstmkit, ["losses", "step_losses", "test_losses", "prediction"])


def test_sequence_classifier_trains_and_resumes_like_torch(tmp_path, global_state):
    argv = ["--epochs", "4", "--checkpoint", str(tmp_path / "checkpoint")]
    on_torch, on_lstmkit = run_both("sequence_classifier", argv, tmp_path)
    assert len(on_torch["losses"]) == 4 * 3  # 24 sequences in batches of 8
    assert_same_trajectory(on_torch, on_lstmkit, ["losses", "accuracies"])
    assert on_lstmkit["saved_losses"] == on_lstmkit["losses"][:6]  # a list inside the checkpoint comes back
    # resuming from the checkpoint (model, Adam, StepLR) is training straight on, bit for bit
    straight = load_program("sequence_classifier", on="lstmkit")["main"](
        [*argv, "--no-resume", "--init", str(tmp_path / "init.lstmkit")]
    )
    assert straight["losses"] == on_lstmkit["losses"]


def test_mapping_binds_only_lstmkit_modules():
    """The lstmkit run never reaches torch: the four names are lstmkit's, any other torch import fails."""
    namespace = load_program("word_language_model", on="lstmkit")
    assert namespace["torch"].Tensor is lk.Tensor
    assert namespace["nn"].LSTM is lk.nn.LSTM
    assert namespace["F"].log_softmax is lk.functional.log_softmax
    assert namespace["torch"].nn.utils.clip_grad_norm_ is lk.nn.utils.clip_grad_norm_
    with pytest.raises(ImportError, match="torch.utils.data"):
        import_with_lstmkit_for_torch("torch.utils.data")
