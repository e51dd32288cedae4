# VideoChat2 (Vicuna-7B) on MVBench, the official notebook protocol (paper: 51.1 Avg): 16
# frames (pos_embed regenerated 4 -> 16), prompt with SYS twice, `Best option:(` prefill,
# Q-Former reads SYS, greedy, 100 new tokens, stop on `###`, first line + `(`.
#   .venv/bin/python tools/mvbench/evaluate.py configs/videochat2/videochat2_vicuna-7b_mvbench-16x224.py
# (checkpoint: answerer.checkpoint = videochat2_7b_stage3.pth, converted when loaded; the
# frozen Vicuna comes from llm_path)
_base_ = ['../mvbench/_base_/mvbench_16x224.py', '../_base_/default_runtime.py']
custom_imports = dict(imports=['projects.mvbench', 'projects.videochat2'],
                      allow_failed_imports=False)
model = dict(
    answerer=dict(_delete_=True, type='VideoChat2MVBenchAnswerer',
                  # the stage-3 model (LoRA dropout is off in eval, as the notebook's 0.0)
                  model='{{fileDirname}}/videochat2_vicuna-7b_stage3_instruction-8x224.py',
                  checkpoint='data/models/videochat2_7b_stage3.pth', max_new_tokens=100),
    template=dict(style='vicuna'))
