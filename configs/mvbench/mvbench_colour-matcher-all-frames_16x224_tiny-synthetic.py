# All-frames half of the temporal-gap pair (measured: 40.6 Avg, 20 q/task).
_base_ = ['./mvbench_colour-matcher-single-frame_16x224_tiny-synthetic.py']
model = dict(answerer=dict(frames='all'))
