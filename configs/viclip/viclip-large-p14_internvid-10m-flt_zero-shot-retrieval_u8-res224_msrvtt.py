# ViCLIP-L/14 (InternVid-10M-FLT) zero-shot text-video retrieval on MSR-VTT 1k (JSFusion test
# split, `{video: [caption]}` JSON read by mmaction2's VideoTextDataset). Reports R@1/5/10 in
# both directions from the plain cosine similarities (`retrieval/*`) and from their dual softmax
# (`retrieval_dsl/*`): the official evaluation outputs both and the paper does not say which it
# reports. Paper (10M-FLT) R@1 T2V / V2T: 42.4 / 41.3.
_base_ = ['./viclip-large-p14_internvid-10m-flt_stage1-mask0.9_u8-res224.py']

val_dataloader = dict(
    batch_size=32,
    dataset=dict(type='VideoTextDataset', ann_file='data/msrvtt/test_JSFUSION.json',
                 data_prefix=dict(video='data/msrvtt/videos')))
test_dataloader = val_dataloader
val_evaluator = dict(type='VideoTextRetrievalMetric', dual_softmax=True)
test_evaluator = val_evaluator
