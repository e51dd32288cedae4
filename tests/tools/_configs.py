"""Tiny configs for runner tests: a VideoViT on the on-the-fly synthetic world (no files)."""
from mmengine.config import Config


def tiny_video_config(work_dir, max_epochs=2, num_samples=16, batch_size=4, extra_hooks=(),
                      frames=8, size=16, drop_path_rate=0.0, depth=1, num_workers=0, flip_ratio=None,
                      **overrides) -> str:
    pipeline = [dict(type='FormatShape', input_format='NCTHW'), dict(type='PackActionInputs')]
    train_pipeline = pipeline if flip_ratio is None else [
        dict(type='Flip', flip_ratio=flip_ratio), *pipeline]  # randomness in the workers

    def loader(split, n):
        return dict(batch_size=batch_size, num_workers=num_workers if split == 'train' else 0,
                    persistent_workers=bool(num_workers) and split == 'train',
                    sampler=dict(type='DefaultSampler', shuffle=split == 'train'),
                    dataset=dict(type='SyntheticVideoDataset', num_samples=n, seed=0,
                                 task='direction', num_frames=frames, size=size, split=split,
                                 pipeline=train_pipeline if split == 'train' else pipeline,
                                 test_mode=split != 'train'))

    cfg = dict(
        default_scope='mmvideofm',
        model=dict(
            type='Recognizer3D',
            backbone=dict(type='VideoViT', img_size=size, patch_size=8, num_frames=frames,
                          tubelet_size=2, embed_dim=32, depth=depth, num_heads=2,
                          drop_path_rate=drop_path_rate),
            cls_head=dict(type='TimeSformerHead', num_classes=9, in_channels=32,
                          average_clips='prob'),
            data_preprocessor=dict(type='ActionDataPreprocessor', mean=[127.5] * 3,
                                   std=[64.] * 3, format_shape='NCTHW')),
        train_dataloader=loader('train', num_samples),
        val_dataloader=loader('val', 8),
        test_dataloader=loader('test', 8),
        val_evaluator=dict(type='AccMetric'),
        test_evaluator=dict(type='AccMetric'),
        train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1),
        val_cfg=dict(type='ValLoop'),
        test_cfg=dict(type='TestLoop'),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=1e-3)),
        param_scheduler=[dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True,
                              convert_to_iter_based=True)],
        default_hooks=dict(
            runtime_info=dict(type='RuntimeInfoHook'),
            timer=dict(type='IterTimerHook'),
            logger=dict(type='LoggerHook', interval=1),
            param_scheduler=dict(type='ParamSchedulerHook'),
            checkpoint=dict(type='CheckpointHook', interval=1),
            sampler_seed=dict(type='DistSamplerSeedHook')),
        custom_hooks=[dict(type='TrainingCurveHook'), *extra_hooks],
        env_cfg=dict(dist_cfg=dict(backend='gloo')),
        randomness=dict(seed=0),
        work_dir=str(work_dir),
    )
    cfg.update(overrides)
    path = f'{work_dir}_cfg.py'
    Config(cfg).dump(path)
    return path
