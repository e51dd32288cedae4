# A tiny random-weight video LLM (seconds on a CPU) for chat front ends and tests:
# VideoViT (32 px, 4 frames) -> vision_layernorm -> instruction-aware Q-Former (4 + 4 queries)
# -> llm_proj -> a 2-layer LLaMA built from a config dict, with local tokenizers: the synthetic
# world's SentencePiece model (LLaMA ids: unk 0, bos 1, eos 2) and a 216-word BERT vocabulary
# (+ [DEC]) for the Q-Former instruction. Its answers are random text until trained; it proves
# the plumbing. Files are found relative to this config (mmengine's {{fileDirname}}), so it
# works from any working directory.
_root = '{{fileDirname}}/../../..'
_llm_tokenizer = _root + '/mmvideofm/datasets/synthetic/assets/synthetic_llama_tokenizer/' \
    'tokenizer.model'
_bert_vocab = _root + '/tests/data/llm/bert_vocab.txt'

model = dict(
    type='BaseVideoLLM',
    vision_encoder=dict(type='VideoViT', img_size=32, patch_size=16, embed_dim=32, depth=2,
                        num_heads=2, num_frames=4, tubelet_size=1, out_type='raw'),
    qformer=dict(
        type='QFormer',
        bert_config=dict(vocab_size=217, hidden_size=32, num_hidden_layers=2,
                         num_attention_heads=2, intermediate_size=64,
                         max_position_embeddings=128),
        encoder_width=32, num_query_tokens=4, num_extra_query_tokens=4, text_input=True),
    qformer_tokenizer=dict(type='BertTokenizer', vocab_file=_bert_vocab),
    llm=dict(
        type='CausalLM',
        model=dict(model_type='llama', vocab_size=1000, hidden_size=64, intermediate_size=128,
                   num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=512,
                   rms_norm_eps=1e-6, bos_token_id=1, eos_token_id=2,
                   tie_word_embeddings=False),
        tokenizer=_llm_tokenizer,
        peft=dict(r=4, alpha=8, dropout=0.1),  # LoRA on q_proj, v_proj
        max_txt_len=256),
    template='vicuna_v0',
    num_frames=4,
    image_size=32,
    max_txt_len=64)
