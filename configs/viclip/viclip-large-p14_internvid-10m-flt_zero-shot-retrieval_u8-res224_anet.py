# ViCLIP-L/14 zero-shot retrieval on ActivityNet Captions (paragraph-to-video, val1): a `{video: [caption]}` JSON
# (one caption or paragraph per video). Plain and dual-softmax R@1/5/10.
# Paper (10M-FLT) R@1 T2V / V2T: 15.1 / 24.0.
_base_ = ['./viclip-large-p14_internvid-10m-flt_zero-shot-retrieval_u8-res224_msrvtt.py']

val_dataloader = dict(dataset=dict(ann_file='data/anet/test.json',
                                   data_prefix=dict(video='data/anet/videos')))
test_dataloader = val_dataloader
