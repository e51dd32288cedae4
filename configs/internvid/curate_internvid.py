# InternVid curation of real videos (a template: every model path is a LOCAL file or folder you
# downloaded once; nothing is fetched at run time, a missing path stops the run naming its key).
#   .venv/bin/python tools/data/internvid/curate.py configs/internvid/curate_internvid.py \
#       --work-dir work_dirs/internvid --backend ray --address auto
# Paper settings: PySceneDetect content threshold 27; coarse caption BLIP-2 on the middle
# frame, fine captions at 1 fps (Tag2Text in the paper) summarised by T5; UMT-SIM and the LAION
# aesthetic score on 4 uniform frames (aesthetic: the max); CLIPScore with OpenAI CLIP-L/14 on
# one random frame for issue #91's FLT recipe. The still / extreme-motion thresholds are ours
# (the paper gives none): mean PySceneDetect content_val per frame below 1 / above 20.
data_root = 'data/internvid'
work_dir = 'work_dirs/internvid'
models = 'checkpoints'  # your local model folder
inputs = dict(root=f'{data_root}/videos', pattern='*.mp4')  # <YoutubeID>.mp4
clip_l14 = dict(model_name='ViT-L-14', pretrained=f'{models}/clip/ViT-L-14.pt')

stages = [
    dict(type='SceneSplit', threshold=27.0, min_scene_len=15, still_threshold=1.0,
         extreme_threshold=20.0, output='timestamps'),
    dict(type='MultiScaleCaptions', fine_fps=1.0, caption_scale='fine',
         backend=dict(type='TransformersCaptioner', device=0, batch_size=16,
                      captioner=dict(model=f'{models}/blip2-opt-2.7b',
                                     task='image-text-to-text'),
                      summarizer=dict(model=f'{models}/t5-base', task='text-generation',
                                      prompt='summarize: ')),
         resources=dict(num_cpus=1, num_gpus=1)),  # Ray: one GPU per captioning task
    # UMT stage 2 (projects/umt) from its config and a converted checkpoint; ViCLIP works the
    # same way with configs/viclip/... and a converted ViCLIP checkpoint
    dict(type='VideoTextScore',
         config='configs/umt/umt-large-p16_bert-large_25m-pre_f4-res224_video-text.py',
         checkpoint=f'{models}/umt/l16_25m_converted.pth', num_frames=4, size=224,
         device='cuda', resources=dict(num_cpus=1, num_gpus=1)),
    dict(type='AestheticScore', clip=clip_l14, num_frames=4, device='cuda',
         mlp_weights=f'{models}/aesthetic/sac+logos+ava1-l14-linearMSE.pth',
         resources=dict(num_cpus=1, num_gpus=0.5)),
    dict(type='CLIPScore', clip=clip_l14, seed=42, device='cuda',
         resources=dict(num_cpus=1, num_gpus=0.5)),
]
subsets = dict(
    div=dict(type='div', num=10_647_458, seed=42),
    flt=dict(type='flt', recipe='paper', fraction=0.3, num=10_647_458, seed=42),
    flt_clipscore=dict(type='flt', recipe='clipscore', fraction=0.3, min_duration=1.0,
                       max_duration=120.0, num=10_647_458, seed=42),
    aesthetic=dict(type='aesthetic', threshold=4.0),
)
output = dict(jsonl='internvid.jsonl', extra_fields=['CLIP_Score'],
              shards=dict(subsets=['flt'], maxcount=1000))
backend = dict(type='ray', address='auto')
