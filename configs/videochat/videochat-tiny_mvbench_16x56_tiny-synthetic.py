# The tiny VideoChat-Embed (stage 2) on the tiny synthetic MVBench: 16 frames, the harness's
# Vicuna prompt (`###Assistant: Best option:(`), greedy, 100 new tokens;
# answerer.checkpoint = the stage-2 run's.
#   .venv/bin/python tools/mvbench/evaluate.py configs/videochat/videochat-tiny_mvbench_16x56_tiny-synthetic.py \
#     --cfg-options model.answerer.checkpoint=CKPT
_base_ = ['../mvbench/_base_/mvbench_16x224.py', '../_base_/default_runtime.py']
custom_imports = dict(imports=['projects.mvbench', 'projects.videochat'],
                      allow_failed_imports=False)
data_root = 'data/synthetic_mvbench_tiny'
test_dataloader = dict(num_workers=0, dataset=dict(
    data_root=data_root, skip_missing_tasks=True,
    pipeline=[dict(type='MVBenchLoadFrames', num_segments=16),
              dict(type='MVBenchFormatFrames', resolution=56),
              dict(type='PackMVBenchInputs')]))
model = dict(answerer=dict(_delete_=True, type='VideoChatMVBenchAnswerer',
                           model='{{fileDirname}}/videochat-tiny_stage2_synthetic-16x56.py',
                           checkpoint=None, max_new_tokens=100))
