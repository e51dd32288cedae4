# InternVid curation on the synthetic world's long videos (CPU, no downloads): export them with
#   .venv/bin/python tools/data/make_synthetic.py --long-videos 24 --out data/internvid_synthetic
# then run tools/data/internvid/curate.py on this config. Captions come from the oracle over the
# ground truth; UMT_Score from a tiny random video-text model (VideoTextPretrainer with a
# VideoViT and a BERT built from config dicts; any registered model works: ViCLIP via
# model=dict(type='ViCLIP', ...) + imports=['projects.viclip'], or a trained UMT stage 2 via
# config=... + checkpoint=...); the aesthetic and CLIPScore stages use a tiny random open_clip
# CLIP. Thresholds differ from the real-video config where the synthetic world differs:
# still clips here are held frames of a lossless video (content_val exactly 0), shaky ones
# have a mean content_val >= 13 while moving clips stay <= 10 (measured on 30 long videos).
data_root = 'data/internvid_synthetic'
work_dir = 'work_dirs/curate_synthetic'
inputs = dict(root=f'{data_root}/videos', pattern='*.mp4')

tiny_bert = dict(vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                 intermediate_size=64, max_position_embeddings=32)
video_text_model = dict(
    type='VideoTextPretrainer',
    backbone=dict(type='VideoViT', arch=dict(embed_dim=32, depth=2, num_heads=2, mlp_ratio=2.),
                  patch_size=8, img_size=32, num_frames=4, tubelet_size=1,
                  use_mean_pooling=False),
    text_encoder=dict(type='BertFusionEncoder', config=tiny_bert, fusion_layer=1),
    tokenizer=dict(type='BertTokenizer', vocab='synthetic'),
    embed_dim=16, itm_head=None, losses=dict(vtc=dict(type='VTCLoss')), max_txt_len=24,
    seed=0)
tiny_clip = dict(model_cfg=dict(
    embed_dim=16,
    vision_cfg=dict(layers=1, width=32, patch_size=8, image_size=32, head_width=16),
    text_cfg=dict(context_length=77, vocab_size=49408, width=32, heads=2, layers=1)), seed=0)

stages = [
    dict(type='SceneSplit', threshold=27.0, min_scene_len=4, still_threshold=0.1,
         extreme_threshold=12.0, output='timestamps'),
    dict(type='MultiScaleCaptions', fine_fps=1.0, caption_scale='fine',
         backend=dict(type='OracleCaptioner', ground_truth=f'{data_root}/long_videos.json')),
    dict(type='VideoTextScore', model=video_text_model, num_frames=4, size=32),
    dict(type='AestheticScore', clip=tiny_clip, random_seed=0, num_frames=4),
    dict(type='CLIPScore', clip=tiny_clip, seed=42),
]
subsets = dict(
    div=dict(type='div', num=40, seed=42),
    flt=dict(type='flt', recipe='paper', fraction=0.3, seed=42),
    flt_clipscore=dict(type='flt', recipe='clipscore', fraction=0.3, min_duration=1.0,
                       max_duration=120.0, seed=42),
    random=dict(type='random', num=40, seed=42),
    # the official >= 4; a random aesthetic head scores near 0, so this keeps no clip here
    aesthetic=dict(type='aesthetic', threshold=4.0),
)
output = dict(jsonl='internvid.jsonl', extra_fields=['CLIP_Score', 'coarse', 'fine'],
              shards=dict(subsets=['all'], maxcount=64))
backend = dict(type='local', workers=1)
