# Random-choice baseline on the real MVBench (official layout and protocol).
_base_ = ['../_base_/default_runtime.py', './_base_/mvbench_16x224.py']
