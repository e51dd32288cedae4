# VideoMAE V2 ViT-B/16 fine-tuning model: the ViT-g recognizer with arch 'b', drop path 0.1,
# no activation checkpointing.
_base_ = ['./vit-giant-p14_recognizer.py']

model = dict(backbone=dict(arch='b', drop_path_rate=0.1, with_cp=False),
             cls_head=dict(in_channels=768))
