# Stage 3 with DeepSpeed ZeRO-3 (parameters, gradients and optimizer states sharded) instead
# of FSDP (pip install deepspeed):
#   .venv/bin/torchrun --nproc_per_node 8 tools/train.py \
#     configs/videochat2/videochat2_vicuna-7b_stage3_instruction-8x224_zero3.py --launcher pytorch
_base_ = ['./videochat2_vicuna-7b_stage3_instruction-8x224.py']
strategy = dict(_delete_=True, type='DeepSpeedStrategy',
                fp16=dict(enabled=True, initial_scale_power=16),
                zero_optimization=dict(stage=3, overlap_comm=True, contiguous_gradients=True,
                                       stage3_gather_16bit_weights_on_model_save=True),
                gradient_clipping=0.0, train_micro_batch_size_per_gpu=4)
optim_wrapper = dict(_delete_=True, type='DeepSpeedOptimWrapper',
                     optimizer=dict(type='AdamW', lr=2e-5, betas=(0.9, 0.999),
                                    weight_decay=0.02))
