# VideoMAE V2 ViT-S/16 fine-tuning model (the distilled student's size).
_base_ = ['./vit-base-p16_recognizer.py']

model = dict(backbone=dict(arch='s'), cls_head=dict(in_channels=384))
