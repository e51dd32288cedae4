# ViCLIP-L/14 stage 2, "unmasked tuning": every token, lr 4e-6 for 0.5 epoch, 32 clips per GPU,
# from the stage-1 checkpoint (official run_freeze_cos_unmask.sh; paper §4.1).
_base_ = ['./viclip-large-p14_internvid-10m-flt_stage1-mask0.9_u8-res224.py']

model = dict(masking_prob=0.)
train_dataloader = dict(batch_size=32)
max_epochs = 1  # 0.5 epoch: train_cfg.max_iters = half an epoch's iterations (set per corpus)
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=4800, val_interval=4800)
optim_wrapper = dict(optimizer=dict(lr=4e-6))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=4800, eta_min=4e-8, by_epoch=False,
                        begin=0, end=4800)]
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=4800))
# the stage-1 checkpoint (runner checkpoint or converted official file)
load_from = 'work_dirs/viclip-large-p14_internvid-10m-flt_stage1-mask0.9_u8-res224/epoch_10.pth'
