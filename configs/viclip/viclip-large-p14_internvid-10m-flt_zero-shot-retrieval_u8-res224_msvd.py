# ViCLIP-L/14 zero-shot retrieval on MSVD (670 test clips, ~40 captions each). Several captions
# per clip: the annotations are InternVid-style jsonl rows, one per caption, the clip file
# `<YoutubeID>_<start>_<end>.avi` named by its fields (MSVD's own naming), so captions of one
# clip share a `video_idx` and video->text counts any of them (the official protocol).
# Paper (10M-FLT) R@1 T2V / V2T: 49.1 / 75.1.
_base_ = ['./viclip-large-p14_internvid-10m-flt_zero-shot-retrieval_u8-res224_msrvtt.py']

val_dataloader = dict(dataset=dict(
    _delete_=True, type='VideoTextJsonlDataset', ann_file='data/msvd/test.jsonl',
    data_prefix=dict(video='data/msvd/videos'), precut=True, video_ext='.avi',
    pipeline=_base_.test_pipeline, test_mode=True))
test_dataloader = val_dataloader
