# All-frames half of the temporal-gap pair (measured: 39.8 Avg, 24 q/task).
_base_ = ['./mvbench_colour-matcher-single-frame_16x224_tiny-synthetic.py']
model = dict(answerer=dict(frames='all'))
