# The same tiny VideoChat2 fed the middle frame repeated 16 times (its temporal gap).
_base_ = ['./videochat2-tiny_mvbench_16x32_tiny-synthetic.py']
model = dict(answerer=dict(_delete_=True, type='FrameAblation', frames='single',
                           model={{_base_.model.answerer}}))
