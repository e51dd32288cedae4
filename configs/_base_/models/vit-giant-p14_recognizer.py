# VideoMAE V2 ViT-g/14 fine-tuning model (16 frames, 224 px): Recognizer3D with the VideoViT
# encoder (mean pooling, drop path 0.3, activation checkpointing), a TimeSformer head and
# mixup / cutmix (run_class_finetuning.py). Leaves set the class count and the init weights.
_base_ = ['./imagenet_preprocessor.py']

model = dict(
    type='Recognizer3D',
    backbone=dict(type='VideoViT', arch='g', img_size=224, num_frames=16, tubelet_size=2,
                  drop_path_rate=0.3, use_mean_pooling=True, with_cp=True),
    # official head init: trunc_normal(std=.02) x init_scale 0.001 -> std 2e-5, bias 0
    cls_head=dict(type='TimeSformerHead', num_classes=710, in_channels=1408, init_std=2e-5,
                  average_clips='prob',
                  loss_cls=dict(type='CrossEntropyLoss', loss_weight=1.0), label_smooth_eps=0.1),
    data_preprocessor=dict(
        **_base_.imagenet_preprocessor,
        blending=dict(type='RandomBatchAugment', augments=[
            dict(type='MixupBlending', alpha=0.8, num_classes=710),
            dict(type='CutmixBlending', alpha=1.0, num_classes=710)])),
    # multi-view testing: the views of a video are folded into the batch by Recognizer3D
    # and their softmax scores averaged (cls_head.average_clips='prob')
    test_cfg=None)
