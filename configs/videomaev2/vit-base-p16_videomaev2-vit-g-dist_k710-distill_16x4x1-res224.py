# Logit distillation of the K710 fine-tuned ViT-g/14 (teacher, frozen) into ViT-B/16
# (student, initialised from its K710 post-pre-trained weights), on K710 -- how the released
# vit_b_k710_dl_from_giant.pth was made. The official training code for this step is not
# released (issue #13); the schedule below is the student's K710 fine-tuning recipe.
_base_ = ['./vit-base-p16_videomaev2-pt_k710-ft_16x4x5-res224.py']

num_classes = 710
model = dict(
    _delete_=True,
    type='LogitDistiller',
    student=dict(
        type='Recognizer3D',
        backbone=dict(type='VideoViT', arch='b', img_size=224, num_frames=16, tubelet_size=2,
                      drop_path_rate=0.1, use_mean_pooling=True,
                      init_cfg=dict(type='VideoMAEv2Pretrained',
                                    checkpoint='checkpoints/vit_b_k710_ft.pth')),
        cls_head=dict(type='TimeSformerHead', num_classes=num_classes, in_channels=768,
                      average_clips='prob')),
    teacher=dict(
        type='Recognizer3D',
        backbone=dict(type='VideoViT', arch='g', img_size=224, num_frames=16,
                      tubelet_size=2, use_mean_pooling=True),
        cls_head=dict(type='TimeSformerHead', num_classes=num_classes, in_channels=1408,
                      average_clips='prob')),
    teacher_ckpt='checkpoints/vit_g_hybrid_pt_1200e_k710_ft.pth',  # official, converted
    teacher_converter='videomaev2',
    distill_loss=dict(type='LogitDistillLoss', temperature=1.0, loss_weight=1.0),
    hard_label_weight=0.,
    data_preprocessor=_base_.imagenet_preprocessor)
