# Ablation of the synthetic post-pretraining: VTC alone (no text masking, no fusion decoder),
# patch dropping kept; everything else as harvest-tiny-p8_post-pretrain_synthetic-8x32.py.
_base_ = ['./harvest-tiny-p8_post-pretrain_synthetic-8x32.py']

model = dict(fusion_decoder=None, losses=dict(_delete_=True, vtc=dict(type='VTCLoss')))
