"""Sine-wave prediction with two stacked LSTMCells, in the style of PyTorch's
examples/time_sequence_prediction.

Plain PyTorch: sine waves made with NumPy and read through ``torch.from_numpy``, a
model of two ``nn.LSTMCell``s and a ``nn.Linear`` unrolled step by step in Python, the
whole model in float64 with ``.double()``, ``nn.MSELoss``, ``optim.LBFGS`` driven by
``optimizer.step(closure)``, and predictions ``future`` steps past the end of the input
fed back into the model. tests/test_ported_programs.py runs this file unchanged with
torch and with lstmkit bound to the torch names.

Run: python time_sequence_prediction.py [--steps N] [--future N] [--init STATE] ...
"""

import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim


def generate_sine_waves(n=8, length=25, period=4, seed=2):
    """Sine waves of one period, each shifted by a random offset (float64)."""
    np.random.seed(seed)
    x = np.empty((n, length), "int64")
    x[:] = np.array(range(length)) + np.random.randint(-4 * period, 4 * period, n).reshape(n, 1)
    return np.sin(x / 1.0 / period).astype("float64")


class Sequence(nn.Module):
    def __init__(self, hidden=8):
        super().__init__()
        self.hidden = hidden
        self.lstm1 = nn.LSTMCell(1, hidden)
        self.lstm2 = nn.LSTMCell(hidden, hidden)
        self.linear = nn.Linear(hidden, 1)

    def forward(self, input, future=0):
        outputs = []
        h_t = torch.zeros(input.size(0), self.hidden, dtype=torch.double)
        c_t = torch.zeros(input.size(0), self.hidden, dtype=torch.double)
        h_t2 = torch.zeros(input.size(0), self.hidden, dtype=torch.double)
        c_t2 = torch.zeros(input.size(0), self.hidden, dtype=torch.double)

        for input_t in input.split(1, dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        for _i in range(future):  # if we should predict the future
            h_t, c_t = self.lstm1(output, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        outputs = torch.stack(outputs, 1).squeeze(2)
        return outputs


def main(argv=None):
    parser = argparse.ArgumentParser(description="sine-wave prediction with LSTMCells and LBFGS")
    parser.add_argument("--steps", type=int, default=2, help="steps to run")
    parser.add_argument("--future", type=int, default=10, help="steps to predict past the input")
    parser.add_argument("--init", default="", help="load initial weights (a state dict) from here")
    parser.add_argument("--save-init", default="", help="save the initial weights (a state dict) here")
    opt = parser.parse_args(argv)

    # set random seed to 0
    np.random.seed(0)
    torch.manual_seed(0)
    # load data and make training set
    data = generate_sine_waves()
    input = torch.from_numpy(data[3:, :-1])
    target = torch.from_numpy(data[3:, 1:])
    test_input = torch.from_numpy(data[:3, :-1])
    test_target = torch.from_numpy(data[:3, 1:])
    # build the model
    seq = Sequence()
    seq.double()
    if opt.init:
        seq.load_state_dict(torch.load(opt.init))
    if opt.save_init:
        torch.save(seq.state_dict(), opt.save_init)
    criterion = nn.MSELoss()
    # use LBFGS as optimizer since we can load the whole data to train
    optimizer = optim.LBFGS(seq.parameters(), lr=0.8, max_iter=5)

    closure_losses, step_losses, test_losses = [], [], []
    # begin to train
    for i in range(opt.steps):
        print("STEP: ", i)

        def closure():
            optimizer.zero_grad()
            out = seq(input)
            loss = criterion(out, target)
            closure_losses.append(loss.item())
            loss.backward()
            return loss

        step_losses.append(optimizer.step(closure).item())
        # begin to predict, no need to track gradient here
        with torch.no_grad():
            future = opt.future
            pred = seq(test_input, future=future)
            loss = criterion(pred[:, :-future], test_target)
            print("test loss:", loss.item())
            test_losses.append(loss.item())
            y = pred.detach().numpy()
    return {
        "losses": closure_losses,
        "step_losses": step_losses,
        "test_losses": test_losses,
        "prediction": y.tolist(),
    }


if __name__ == "__main__":
    main()
