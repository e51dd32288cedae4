# UMT-B/16 fine-tuning model (8 frames, 224 px): mmaction2's Recognizer3D with the UMT ViT,
# a TimeSformer head and mixup / cutmix, as single_modality/run_class_finetuning.py.
# Leaves set the class count (head and both blendings) and the frames / size.
_base_ = ['./imagenet_preprocessor.py']

model = dict(
    type='Recognizer3D',
    backbone=dict(type='UMTViT', arch='b', img_size=224, num_frames=8, drop_path_rate=0.1,
                  use_mean_pooling=True),
    # official head init: trunc_normal(std=.02) x init_scale 0.001 -> std 2e-5, bias 0
    cls_head=dict(type='TimeSformerHead', num_classes=710, in_channels=768, init_std=2e-5,
                  average_clips='prob',
                  loss_cls=dict(type='CrossEntropyLoss', loss_weight=1.0),
                  # smoothing applied to the mixup / cutmix soft targets = timm's Mixup(
                  # label_smoothing=0.1) + SoftTargetCrossEntropy of the official code
                  label_smooth_eps=0.1),
    data_preprocessor=dict(
        **_base_.imagenet_preprocessor,
        blending=dict(type='RandomBatchAugment', augments=[
            dict(type='MixupBlending', alpha=0.8, num_classes=710),
            dict(type='CutmixBlending', alpha=1.0, num_classes=710)])))
