# The image CLIP that Harvest's synthetic run post-pretrains: the same towers without the
# temporal extractor (a plain CLIP ViT), trained with VTC on ONE random frame per clip and
# its caption (image-text pairs), text tower trainable. Validated as an image CLIP is used on
# video: every frame encoded, [CLS] features averaged (8 frames), the same zero-shot
# retrieval as the post-pretrained model.
_base_ = ['./harvest-tiny-p8_post-pretrain_synthetic-8x32.py']

model = dict(
    backbone=dict(return_list=()),
    fusion_decoder=None,
    freeze_text=False,
    video_drop_ratio=0.,
    losses=dict(_delete_=True, vtc=dict(type='VTCLoss')))

frame_pipeline = [
    dict(type='VideoInit'),
    dict(type='VideoSampleFrames', clip_len=1, frame_interval=1, num_clips=1),
    dict(type='VideoDecode'),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', meta_keys=('img_shape', 'caption', 'sample_idx'))]
train_dataloader = dict(dataset=dict(pipeline=frame_pipeline))
