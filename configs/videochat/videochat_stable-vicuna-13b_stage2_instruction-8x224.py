# VideoChat-Embed with StableVicuna-13B (official default config.json; llama_proj 768 -> 5120).
# The released videochat.pth is this model's delta; loading it into a 7B config fails with
# LLMSizeMismatchError (upstream issue #101).
_base_ = ['./videochat_vicuna-7b_stage2_instruction-8x224.py']

llm_path = 'data/models/stable-vicuna-13b'
model = dict(llm=dict(model=llm_path, tokenizer=llm_path))
