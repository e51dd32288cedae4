# UMT-L/16 fine-tuning model: the B/16 recognizer with arch 'l', drop path 0.2.
_base_ = ['./umt_vit-base-p16_recognizer.py']

model = dict(backbone=dict(arch='l', drop_path_rate=0.2), cls_head=dict(in_channels=1024))
