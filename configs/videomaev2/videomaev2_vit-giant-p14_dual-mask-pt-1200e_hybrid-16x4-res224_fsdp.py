# ViT-g/14 VideoMAE V2 pre-training sharded with MMEngine's FSDP strategy (FlexibleRunner):
# parameters, gradients and AdamW states are sharded per transformer block; activation
# checkpointing stays on (inherited). On 8+ GPUs:
#   torchrun --nproc_per_node 8 tools/train.py \
#     configs/videomaev2/videomaev2_vit-giant-p14_dual-mask-pt-1200e_hybrid-16x4-res224_fsdp.py \
#     --launcher pytorch
_base_ = ['./videomaev2_vit-giant-p14_dual-mask-pt-1200e_hybrid-16x4-res224.py']

runner_type = 'FlexibleRunner'
strategy = dict(
    type='FSDPStrategy',
    model_wrapper=dict(
        type='MMFullyShardedDataParallel',
        # mmvideofm/engine/fsdp.py: one FSDP unit per transformer Block
        auto_wrap_policy=dict(type='vit_block_wrap_policy'),
        use_orig_params=True),
    state_dict_cfg='full')
# FSDP keeps its own mixed precision; the AMP wrapper is replaced by a plain one with bf16
# autocast off, and gradient clipping goes through FSDP's clip_grad_norm_.
optim_wrapper = dict(_delete_=True, type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=6e-4 * 32 * 64 / 256, betas=(0.9, 0.95),
                                    weight_decay=0.05),
                     clip_grad=dict(max_norm=0.02))
