# The tiny VideoChat-Text on the tiny synthetic MVBench: perception text from a descriptions
# file (the synthetic ground-truth oracle, written by tools/experiments/videochat_synthetic.py),
# the official VideoChat-Text prompt, the MVBench question block, prefill 'AI: Best option:(',
# greedy; answerer.checkpoint = the trained videochat-text-tiny_mcq_synthetic.py run's.
_base_ = ['./videochat-tiny_mvbench_16x56_tiny-synthetic.py']
data_root = 'data/synthetic_mvbench_tiny'
model = dict(answerer=dict(_delete_=True, type='VideoChatTextMVBenchAnswerer',
                           model='{{fileDirname}}/videochat-text-tiny_mcq_synthetic.py',
                           descriptions=f'{data_root}/oracle_descriptions.json',
                           checkpoint=None))
