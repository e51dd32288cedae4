# Zero-shot MSR-VTT 1k-A text<->video retrieval of a post-pretrained Harvest B/16 (test
# only): plain and dual-softmax R@1/5/10, both directions (VideoTextRetrievalMetric, the
# metric ViCLIP reports). Weights via `load_from` / --checkpoint (see the K400 config).
_base_ = ['./harvest-base-p16_clip-b16_webvid10m-pre_u8-res224.py']

model = dict(init_cfg=None)
test_evaluator = dict(type='VideoTextRetrievalMetric', dual_softmax=True)
load_from = None
