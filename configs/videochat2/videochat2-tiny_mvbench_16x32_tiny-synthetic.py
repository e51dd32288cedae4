# The tiny VideoChat2 (stage 3) on the tiny synthetic MVBench, official protocol (16 frames,
# notebook prompt, `Best option:(`, 100 new tokens); answerer.checkpoint = the stage-3 run's.
#   .venv/bin/python tools/mvbench/evaluate.py configs/videochat2/videochat2-tiny_mvbench_16x32_tiny-synthetic.py \
#     --cfg-options model.answerer.checkpoint=CKPT
_base_ = ['../mvbench/_base_/mvbench_16x224.py', '../_base_/default_runtime.py']
custom_imports = dict(imports=['projects.mvbench', 'projects.videochat2'],
                      allow_failed_imports=False)
data_root = 'data/synthetic_mvbench_tiny'
test_dataloader = dict(num_workers=0, dataset=dict(
    data_root=data_root, skip_missing_tasks=True,
    pipeline=[dict(type='MVBenchLoadFrames', num_segments=16),
              dict(type='MVBenchFormatFrames', resolution=32),
              dict(type='PackMVBenchInputs')]))
model = dict(answerer=dict(_delete_=True, type='VideoChat2MVBenchAnswerer',
                           model='{{fileDirname}}/videochat2-tiny_stage3_synthetic-8x32.py',
                           checkpoint=None, max_new_tokens=100))
