# Synthetic video-LLM data in the official VideoChat2 formats (InstructionDataset /
# CaptionDataset), exported by
#   .venv/bin/python tools/data/make_synthetic.py --format instruction \
#       --out data/synthetic_instruction --num-train 400 --num-val 40 --num-test 0 --frames 16 --size 32
# (clips of every synthetic task, --num-* per task). Stage 1/2: `caption_dataloader` (video
# captions); stage 3: `train_dataloader` = caption + open-QA + MVBench-style multiple-choice
# conversations on videos (`it_image_dataloader`: image rows, T=1, in batches of their own as
# upstream; videos and images do not share a batch). The tokenizer trained on this text ships in
# mmvideofm/datasets/synthetic/assets/synthetic_llama_tokenizer/ (synthetic_tokenizer_dir).
# Clips come out as uint8 (N, C, T, H, W); normalisation belongs to the model's data preprocessor.
data_root = 'data/synthetic_instruction'
synthetic_tokenizer_dir = 'mmvideofm/datasets/synthetic/assets/synthetic_llama_tokenizer'
num_frames = 8
img_size = 32
conversation_template = 'vicuna_v0'
it_meta_keys = ('conversation', 'instruction', 'media_type', 'qa', 'frame_secs', 'filename',
                'sample_idx')
caption_meta_keys = ('caption', 'text', 'video_idx', 'media_type', 'frame_secs', 'filename',
                     'sample_idx')


def _frames(sample):
    return [
        dict(type='VideoInit'),
        dict(type='InstructionSampleFrames', num_frames=num_frames, sample=sample),
        dict(type='VideoDecode'),
        dict(type='mmaction.Resize', scale=(img_size, img_size), keep_ratio=False),
        dict(type='mmaction.FormatShape', input_format='NCTHW'),
    ]


it_train_pipeline = [
    *_frames('rand'),
    dict(type='BuildConversation', template=conversation_template, add_second_msg=True,
         random_shuffle=True),
    dict(type='mmaction.PackActionInputs', meta_keys=it_meta_keys),
]
it_test_pipeline = [
    *_frames('middle'),
    dict(type='BuildConversation', template=conversation_template, add_second_msg=True,
         random_shuffle=False),
    dict(type='mmaction.PackActionInputs', meta_keys=it_meta_keys),
]
caption_train_pipeline = [*_frames('rand'),
                          dict(type='mmaction.PackActionInputs', meta_keys=caption_meta_keys)]
del _frames


def _it(kind, split, pipeline, media_type='video'):
    return dict(type='InstructionDataset', ann_file=f'{data_root}/{kind}_{split}.json',
                data_prefix=dict(video=data_root), media_type=media_type, pipeline=pipeline)


it_train_datasets = [_it(k, 'train', it_train_pipeline) for k in ('it_caption', 'it_qa', 'it_mcq')]
train_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='ConcatDataset', datasets=it_train_datasets))
it_image_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=_it('it_image', 'train', it_train_pipeline, media_type='image'))
caption_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='CaptionDataset', ann_file=f'{data_root}/caption_train.json',
                 data_prefix=dict(video=data_root), media_type='video',
                 pipeline=caption_train_pipeline))
# held-out multiple-choice conversations (the answers the model should produce)
val_mcq_dataset = _it('it_mcq', 'val', it_test_pipeline)
del _it
