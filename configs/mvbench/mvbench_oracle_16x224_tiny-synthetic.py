# Harness self-check on the synthetic tiny MVBench (tools/mvbench/make_tiny.py): the
# ground-truth oracle must score 100.
_base_ = ['../_base_/default_runtime.py', './_base_/mvbench_16x224.py']
data_root = 'data/synthetic_mvbench_tiny'
test_dataloader = dict(
    num_workers=0, dataset=dict(data_root=data_root, skip_missing_tasks=True))
model = dict(answerer=dict(_delete_=True, type='MVBenchOracle'))
