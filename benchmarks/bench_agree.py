"""Speed of the agreement table: 300 units x 13 codes x 3 coders, 1000 bootstrap draws (the
default), on simulated codings. Prints seconds; run with ``.venv/bin/python benchmarks/bench_agree.py``."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from transitions_analysis import agreement as agree


def simulate(n_units: int = 300, n_codes: int = 13, coders: str = "ABC", seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    codes = [f"code{k:02d}" for k in range(n_codes)]
    rows = []
    for u in range(n_units):
        truth = rng.random(n_codes) < 0.2
        for coder in coders:
            seen = np.where(rng.random(n_codes) < 0.85, truth, ~truth)
            given = [codes[k] for k in np.flatnonzero(seen)] or [""]
            rows += [(f"u{u:04d}", coder, c) for c in given]
    return pd.DataFrame(rows, columns=["response_id", "coder", "code"])


if __name__ == "__main__":
    codings = simulate()
    for n_boot in (0, 1000, 5000):
        start = time.perf_counter()
        agree.agreement_table(codings, n_boot=n_boot)
        print(f"agreement_table 300 unités x 13 codes x 3 codeurs, n_boot={n_boot}: {time.perf_counter() - start:.2f} s")
