# VideoChat-Embed stage 1 with StableVicuna-13B (official default config.json).
_base_ = ['./videochat_vicuna-7b_stage1_webvid-cc-coco-4x224.py']

llm_path = 'data/models/stable-vicuna-13b'
model = dict(llm=dict(model=llm_path, tokenizer=llm_path))
