"""Fit the rational tanh that the compiled float32 LSTM kernels use, and check it.

    python tools/fit_tanh_float32.py

tanh(x) ≈ x · P(x²) / Q(x²) on |x| ≤ C (P of degree 6, Q of degree 3 with Q(0) = 1),
fitted to tanh(x)/x by linearised least squares on relative error (Sanathanan-Koerner
iterations), and ±1 beyond C, where float32 tanh rounds to ±1. Prints the
coefficients in the form ``lstmkit/nn/compiled_kernels.py`` holds them, the fit's
relative error in float64, and the error of the float32 evaluation in units in the
last place over a dense grid.
"""

from __future__ import annotations

import numpy as np

CLAMP = 7.90531110763549805  # the smallest float32 x whose tanh rounds to 1
P_DEGREE, Q_DEGREE = 6, 3


def fit() -> tuple[np.ndarray, np.ndarray, float]:
    """Coefficients p (7,), q (4,) in powers of x², and the fit's max relative error."""
    n = 4000
    x = np.unique(np.concatenate([np.linspace(1e-4, CLAMP, n), CLAMP * (1 - np.cos(np.linspace(0, np.pi / 2, n)))]))
    x = x[x > 0]
    u = x * x / CLAMP**2  # x² scaled to [0, 1] for a well-conditioned system
    target = np.tanh(x) / x
    q_values = np.ones_like(u)
    for _ in range(30):
        design = np.hstack([np.vander(u, P_DEGREE + 1, increasing=True),
                            -target[:, None] * np.vander(u, Q_DEGREE + 1, increasing=True)[:, 1:]])
        weight = 1.0 / (q_values * target)
        coef, *_ = np.linalg.lstsq(design * weight[:, None], target * weight, rcond=None)
        p, q = coef[: P_DEGREE + 1], np.concatenate([[1.0], coef[P_DEGREE + 1 :]])
        q_values = np.polyval(q[::-1], u)
    error = np.abs((np.polyval(p[::-1], u) / q_values - target) / target).max()
    scale = CLAMP**2
    return p / scale ** np.arange(P_DEGREE + 1), q / scale ** np.arange(Q_DEGREE + 1), float(error)


def tanh_float32(x: np.ndarray, p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """The kernels' formula, evaluated in float32 with NumPy (Horner's rule, as they do)."""
    p32, q32, c = p.astype(np.float32), q.astype(np.float32), np.float32(CLAMP)
    a = np.clip(x.astype(np.float32), -c, c)
    s = a * a
    num, den = p32[-1], q32[-1]
    for coefficient in p32[-2::-1]:
        num = num * s + coefficient
    for coefficient in q32[-2::-1]:
        den = den * s + coefficient
    return np.where(np.abs(x) >= c, np.sign(x), a * num / den).astype(np.float32)


def ulp_error(values: np.ndarray, x: np.ndarray) -> np.ndarray:
    """|values - tanh(x)| in float32 units in the last place of the exact result."""
    exact = np.tanh(x.astype(np.float64))
    return np.abs(values - exact) / np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)


def main() -> None:
    p, q, error = fit()
    print("P =", ", ".join(f"{c!r}" for c in p.tolist()))
    print("Q =", ", ".join(f"{c!r}" for c in q.tolist()))
    print(f"fit: max relative error {error:.2e} (float64 arithmetic)")
    grid = np.concatenate([np.linspace(-10, 10, 2_000_001), np.logspace(-12, 1, 200_001)]).astype(np.float32)
    ulps = ulp_error(tanh_float32(grid, p, q), grid)
    print(f"float32: max {ulps.max():.2f} ulp, mean {ulps.mean():.2f} ulp over {grid.size} points")


if __name__ == "__main__":
    main()
