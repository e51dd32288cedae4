# Single-frame half of the temporal-gap pair on the tiny MVBench: the colour matcher sees
# the middle frame repeated 16 times (measured: 26.7 Avg vs. 28.7 chance, 20 q/task).
_base_ = ['./mvbench_oracle_16x224_tiny-synthetic.py']
model = dict(answerer=dict(
    _delete_=True, type='FrameAblation', frames='single',
    model=dict(type='SyntheticColourMatcher')))
