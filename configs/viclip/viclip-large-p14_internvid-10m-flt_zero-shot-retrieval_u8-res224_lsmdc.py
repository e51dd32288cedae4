# ViCLIP-L/14 zero-shot retrieval on LSMDC (1k test clips): a `{video: [caption]}` JSON
# (one caption or paragraph per video). Plain and dual-softmax R@1/5/10.
# Paper (10M-FLT) R@1 T2V / V2T: 20.1 / 16.9.
_base_ = ['./viclip-large-p14_internvid-10m-flt_zero-shot-retrieval_u8-res224_msrvtt.py']

val_dataloader = dict(dataset=dict(ann_file='data/lsmdc/test.json',
                                   data_prefix=dict(video='data/lsmdc/videos')))
test_dataloader = val_dataloader
