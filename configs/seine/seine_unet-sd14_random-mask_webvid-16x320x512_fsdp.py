# The paper setting sharded with MMEngine's FSDP strategy (FlexibleRunner), one FSDP unit per
# transformer / resnet of the UNet; bf16 mixed precision inside FSDP, gradient checkpointing inherited:
#   torchrun --nproc_per_node 8 tools/train.py \
#     configs/seine/seine_unet-sd14_random-mask_webvid-16x320x512_fsdp.py --launcher pytorch
_base_ = ['./seine_unet-sd14_random-mask_webvid-16x320x512.py']

runner_type = 'FlexibleRunner'
strategy = dict(
    type='FSDPStrategy',
    model_wrapper=dict(type='MMFullyShardedDataParallel', use_orig_params=True,
                       auto_wrap_policy=dict(type='transformer_layer_wrap_policy',
                                             layer_cls=['Transformer3DModel',
                                                        'ResnetBlock3D'])),
    state_dict_cfg='full')
optim_wrapper = dict(_delete_=True, type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.0),
                     clip_grad=dict(max_norm=1.0))
