# The synthetic world renders 8 frames; the tiny synthetic students see every 2nd of them
# (4 frames, one clip).
synthetic_every2nd_pipeline = [
    dict(type='VideoInit'),
    dict(type='VideoSampleFrames', clip_len=4, frame_interval=2, num_clips=1, test_mode=True),
    dict(type='VideoDecode'),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
