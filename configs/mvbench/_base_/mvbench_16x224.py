# MVBench evaluation protocol of the official notebook: 16 segments (midpoint rule, bounds
# applied), short side 224 bicubic + center crop, CLIP mean/std, Vicuna '###' prompt.
custom_imports = dict(imports=['projects.mvbench'], allow_failed_imports=False)

data_root = 'data/mvbench'  # json/ + video/ (HF OpenGVLab/MVBench, main branch)
num_segments = 16
resolution = 224

test_pipeline = [
    dict(type='MVBenchLoadFrames', num_segments=num_segments),
    dict(type='MVBenchFormatFrames', resolution=resolution),
    dict(type='PackMVBenchInputs'),
]
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='MVBenchDataset',
        data_root=data_root,
        layout='main',
        missing_video='skip',  # reported per task and excluded, never scored
        pipeline=test_pipeline))
test_evaluator = dict(type='MVBenchMetric')
test_cfg = dict(type='TestLoop')

model = dict(
    type='MVBenchQA',
    answerer=dict(type='MVBenchRandomChoice', seed=0),
    template=dict(style='vicuna'),  # dict(style='mistral_inst') for [INST] models
    mode='auto')
