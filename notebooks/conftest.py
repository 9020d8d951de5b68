"""Settings for running the lessons under pytest (nbval); learners never need this file.

The lessons train small models (matrices of a few dozen rows), for which one BLAS thread
is fastest. With several threads on a busy machine, OpenBLAS threads wait on each other
and the same run gets several times slower, with identical numbers. The notebook kernels
that nbval starts inherit this process's environment, so set one thread here unless the
caller chose otherwise.
"""

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
