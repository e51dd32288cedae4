# The tiny VideoChat-Text on the tiny synthetic MVBench: perception text from a descriptions
# file (the synthetic ground-truth oracle, written by tools/experiments/videochat_synthetic.py),
# the official VideoChat-Text prompt, the MVBench question block, prefill 'AI: Best option:(',
# greedy; answerer.checkpoint = the trained videochat-text-tiny_mcq_synthetic.py run's.
_base_ = ['../mvbench/_base_/mvbench_16x224.py', '../_base_/default_runtime.py']
custom_imports = dict(imports=['projects.mvbench', 'projects.videochat'],
                      allow_failed_imports=False)
data_root = 'data/synthetic_mvbench_tiny'
test_dataloader = dict(num_workers=0, dataset=dict(
    data_root=data_root, skip_missing_tasks=True,
    pipeline=[dict(type='MVBenchLoadFrames', num_segments=16),
              dict(type='MVBenchFormatFrames', resolution=32),
              dict(type='PackMVBenchInputs')]))
model = dict(answerer=dict(_delete_=True, type='VideoChatTextMVBenchAnswerer',
                           model='{{fileDirname}}/videochat-text-tiny_mcq_synthetic.py',
                           descriptions=f'{data_root}/oracle_descriptions.json',
                           checkpoint=None))
