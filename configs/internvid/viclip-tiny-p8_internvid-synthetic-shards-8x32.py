# The tiny synthetic ViCLIP trained on the shards the curation pipeline wrote
# (configs/internvid/curate_synthetic.py -> work_dirs/curate_synthetic/shards/all/*.tar):
# the viclip synthetic recipe with its training set swapped for VideoTextShardDataset (8
# random-in-segment frames of each curated clip, the oracle caption). Validation stays the
# viclip config's held-out synthetic `direction` clips (zero-shot retrieval + classification).
# See tools/data/internvid/README.md for the commands.
_base_ = ['../viclip/viclip-tiny-p8_synthetic-direction-8x32.py']

curated_root = 'work_dirs/curate_synthetic'
num_frames = 8
size = 32
shard_pipeline = [
    dict(type='VideoInit'),
    dict(type='UniformSample', clip_len=num_frames, num_clips=1),
    dict(type='VideoDecode'),
    dict(type='Resize', scale=(size, size), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs',
         meta_keys=('img_shape', 'text', 'caption', 'video_idx', 'sample_idx')),
]
train_dataloader = dict(
    batch_size=32,
    dataset=dict(_delete_=True, type='VideoTextShardDataset', data_root=curated_root,
                 shards='shards/all/*.tar', pipeline=shard_pipeline))
# 2e-3 (the direction recipe's) collapses on the curated clips' longer, more varied captions
# (VTC stays at log(batch)); 5e-4 learns
optim_wrapper = dict(optimizer=dict(lr=5e-4))
