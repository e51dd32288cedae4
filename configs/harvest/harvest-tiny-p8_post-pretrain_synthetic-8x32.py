# Harvest on the synthetic world (CPU, minutes): post-pretrain a tiny image CLIP into a video
# model on synthetic captions ("a red circle moves up-left, then ... hits ..."), VTC + MLM
# through the fusion decoder + patch dropping, frozen text tower (the official recipe).
# Start: `load_from` = a checkpoint of harvest-tiny-p8_image-clip_synthetic-1x32.py (the same
# towers trained on single frames, no temporal modules); tools/experiments/harvest_synthetic.py
# runs both. Val on 100 held-out clips: zero-shot text<->video retrieval R@1/5/10
# (`retrieval/*`, chance R@1 1 %) and zero-shot `direction` classification from caption
# prompts (`zero_shot/*`, 9 classes, chance top-1 11.1 %), the metrics ViCLIP reports.
_base_ = ['./harvest-base-p16_clip-b16_webvid10m-pre_u8-res224.py']

num_frames = 8
size = 32
model = dict(
    backbone=dict(_delete_=True, type='HarvestViT', arch=None, input_resolution=size,
                  patch_size=8, width=64, layers=4, heads=4, output_dim=32,
                  return_list=(2, 3), mlp_dropout=0.),
    text_encoder=dict(_delete_=True, type='HarvestCLIPText', arch=None, context_length=24,
                      width=64, heads=4, layers=2, output_dim=32),
    tokenizer=dict(type='CLIPTokenizer', context_length=24),
    fusion_decoder=dict(n_layers=2, num_visual_queries=16),
    video_drop_ratio=0.5,
    max_txt_len=24,
    seed=0,
    init_cfg=None)

pipeline = [dict(type='FormatShape', input_format='NCTHW'),
            dict(type='PackActionInputs', meta_keys=('img_shape', 'caption', 'sample_idx'))]
dataset = dict(type='SyntheticVideoDataset', task='direction', num_frames=num_frames,
               size=size, cache_clips=True, pipeline=pipeline,
               world_cfg=dict(max_objects=2, motion=(0.6, 0.8)))
train_dataloader = dict(
    batch_size=16, num_workers=0, persistent_workers=False,
    dataset=dict(_delete_=True, num_samples=480, seed=0, split='train', **dataset))
val_dataloader = dict(
    batch_size=50, num_workers=0, persistent_workers=False,
    dataset=dict(_delete_=True, num_samples=100, seed=0, split='val', test_mode=True,
                 **dataset))
test_dataloader = val_dataloader
# each direction's prompts: its caption for every ordered pair of distinct objects ('static':
# both stay still); a class scores the mean similarity over its prompts
# (the world's 8 colours x 4 shapes: 992 ordered pairs per class)
colors = ['red', 'green', 'blue', 'yellow', 'cyan', 'magenta', 'white', 'orange']
things = [c + ' ' + s for s in ('circle', 'square', 'triangle', 'cross') for c in colors]
direction_prompts = [
    [f'a {a} moves {d} while a {b} stays still' if d != 'static' else
     f'a {a} and a {b} stay still' for a in things for b in things if b != a]
    for d in ('up', 'down', 'left', 'right', 'up-left', 'up-right', 'down-left', 'down-right',
              'static')]
val_evaluator = [dict(type='VideoTextRetrievalMetric', dual_softmax=True),
                 dict(type='ZeroShotClassificationMetric', class_prompts=direction_prompts)]
test_evaluator = val_evaluator
val_cfg = dict(type='ZeroShotValLoop')
test_cfg = dict(type='ZeroShotTestLoop')

max_epochs = 10
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs)
optim_wrapper = dict(type='OptimWrapper', _delete_=True,
                     optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.02))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5,
                        by_epoch=True, begin=0, end=max_epochs, convert_to_iter_based=True)]
default_hooks = dict(logger=dict(interval=10),
                     checkpoint=dict(interval=max_epochs, max_keep_ckpts=1, save_best=None))
load_from = None
randomness = dict(seed=0)
