# ViCLIP on the synthetic world's captions (CPU, no files): a tiny joint space-time CLIP ViT
# (8 frames x 4x4 patches of 8 px = 128 tokens) and a tiny CLIP text tower trained from scratch
# with VTC on the `direction` task's clips ("a red circle moves up while a blue square stays
# still"). Validation on 200 held-out clips: zero-shot retrieval (`retrieval/*`: chance R@1 =
# 0.5 %) and zero-shot direction classification from caption prompts (`zero_shot/*`, 9
# classes: chance top-1 = 11.1 %). Differences from the real recipe, all because nothing here
# starts from CLIP: the text tower trains (freeze_text=False) with a fixed random token table,
# the temporal embedding starts random (zero would leave the frames unordered), token dropping
# is 0.5 (0.75 and 0.9 learned less motion in 30 epochs; 0 learned as much at twice the cost).
# tools/experiments/viclip_synthetic.py also evaluates the trained model on one frame.
_base_ = ['./viclip-large-p14_internvid-10m-flt_stage1-mask0.9_u8-res224.py']

num_frames = 8
size = 32
max_txt_len = 24
model = dict(
    vision_encoder=dict(_delete_=True, type='CLIPVideoViT', arch=None, input_resolution=size,
                        patch_size=8, width=64, layers=3, heads=4, output_dim=32,
                        num_frames=num_frames, temporal_init_std=0.125),
    text_encoder=dict(_delete_=True, type='CLIPTextTransformer', arch=None,
                      context_length=max_txt_len, width=64, heads=4, layers=2, output_dim=32,
                      freeze_token_embedding=True),
    tokenizer=dict(context_length=max_txt_len),
    max_txt_len=max_txt_len,
    temp=0.07, temp_min=0.01,
    masking_prob=0.5,
    freeze_text=False,
    seed=0)
load_from = None

# a world of 3 colours x 2 shapes: captions differ mostly in where things move, so the
# contrastive task cannot be solved from one frame
colors = ['red', 'green', 'blue']
shapes = ['circle', 'square']
world_cfg = dict(max_objects=2, motion=(0.6, 0.8), colors=colors, shapes=shapes)
# the same pipeline reads the synthetic clips and video files (tools/extract_features.py)
pipeline = [dict(type='VideoInit'),
            dict(type='ViCLIPSegmentSample', clip_len=num_frames, sample='middle'),
            dict(type='VideoDecode'),
            dict(type='FormatShape', input_format='NCTHW'),
            dict(type='PackActionInputs', meta_keys=('img_shape', 'caption', 'sample_idx'))]
dataset = dict(type='SyntheticVideoDataset', task='direction', num_frames=num_frames,
               size=size, world_cfg=world_cfg, cache_clips=True,
               pipeline=pipeline)
train_dataloader = dict(
    batch_size=32, num_workers=0, persistent_workers=False,
    dataset=dict(_delete_=True, num_samples=640, seed=0, split='train', **dataset))
val_dataloader = dict(
    batch_size=50, num_workers=0, persistent_workers=False,
    dataset=dict(_delete_=True, num_samples=200, seed=0, split='val', test_mode=True,
                 **dataset))
test_dataloader = val_dataloader
# zero-shot direction: each class's prompts are the captions it would get for every ordered
# pair of objects of this world ("a red circle moves up while a blue square stays still",
# static: "a red circle and a blue square stay still"); score = mean of the per-prompt
# similarities (as the 16 ActionCLIP templates are for Kinetics)
objects = [f'{c} {s}' for c in colors for s in shapes]
pairs = [(a, b) for a in objects for b in objects if a != b]
directions = ['up', 'down', 'left', 'right', 'up-left', 'up-right', 'down-left', 'down-right']
direction_prompts = [[f'a {a} moves {d} while a {b} stays still' for a, b in pairs]
                     for d in directions] + [[f'a {a} and a {b} stay still' for a, b in pairs]]
val_evaluator = [
    dict(type='VideoTextRetrievalMetric', dual_softmax=True),
    dict(type='ZeroShotClassificationMetric', class_prompts=direction_prompts)]
test_evaluator = val_evaluator

max_epochs = 30
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs)
optim_wrapper = dict(type='OptimWrapper', _delete_=True,
                     optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.98), weight_decay=0.05),
                     paramwise_cfg=_base_.optim_wrapper.paramwise_cfg)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=2e-5,
                        by_epoch=True, begin=0, end=max_epochs, convert_to_iter_based=True)]
auto_scale_lr = dict(enable=False)
default_hooks = dict(logger=dict(interval=10),
                     checkpoint=dict(interval=max_epochs, max_keep_ckpts=1, save_best=None))
custom_hooks = []
randomness = dict(seed=0)
