# The tiny VideoChat-Embed on the tiny synthetic MVBench with the middle frame repeated 16 times
# (FrameAblation): what one frame answers; answerer.model.checkpoint = the stage-2 run's.
_base_ = ['./videochat-tiny_mvbench_16x56_tiny-synthetic.py']
model = dict(answerer=dict(_delete_=True, type='FrameAblation', frames='single',
                           model={{_base_.model.answerer}}))
