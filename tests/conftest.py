import os

os.environ.setdefault('OMP_NUM_THREADS', '1')

import torch  # noqa: E402

import mmvideofm  # noqa: E402,F401  (compat shims before any mmaction import)

torch.set_num_threads(int(os.environ.get('MMVIDEOFM_TEST_THREADS', '1')))
