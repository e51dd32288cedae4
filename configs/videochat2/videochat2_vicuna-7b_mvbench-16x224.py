# VideoChat2 (Vicuna-7B) on MVBench, the official notebook protocol (paper: 51.1 Avg): 16
# frames (pos_embed regenerated 4 -> 16), prompt with SYS twice, `Best option:(` prefill,
# Q-Former reads SYS, greedy, 100 new tokens, stop on `###`, first line + `(`.
#   .venv/bin/python tools/mvbench/evaluate.py configs/videochat2/videochat2_vicuna-7b_mvbench-16x224.py
# (checkpoint: answerer.checkpoint = videochat2_7b_stage3.pth, converted when loaded; the
# frozen Vicuna comes from llm_path)
_base_ = ['../mvbench/_base_/mvbench_16x224.py', '../_base_/default_runtime.py']
custom_imports = dict(imports=['projects.mvbench', 'projects.videochat2'],
                      allow_failed_imports=False)
llm_path = 'data/models/vicuna-7b-v0'
bert_base = dict(vocab_size=30522, hidden_size=768, num_hidden_layers=12,
                 num_attention_heads=12, intermediate_size=3072, hidden_act='gelu',
                 hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
                 max_position_embeddings=512, type_vocab_size=2, layer_norm_eps=1e-12,
                 pad_token_id=0)
videochat2 = dict(
    type='VideoChat2', stage=3,
    vision_encoder=dict(type='VideoChat2ViT', arch='l', encoder_depth=24, return_index=-2,
                        img_size=224, num_frames=4, ckpt_num_frame=4),
    qformer=dict(bert_config=bert_base, num_query_tokens=32, num_extra_query_tokens=64,
                 text_input=True),
    qformer_tokenizer=dict(type='BertTokenizer', name_or_path='bert-base-uncased'),
    # the notebook adds LoRA after construction with dropout 0
    llm=dict(type='CausalLM', model=llm_path, tokenizer=llm_path, torch_dtype='float16',
             peft=dict(r=16, alpha=32, dropout=0.0), max_txt_len=512),
    template='vicuna_v0', num_frames=16, max_txt_len=512)
model = dict(
    answerer=dict(_delete_=True, type='VideoChat2MVBenchAnswerer', model=videochat2,
                  checkpoint='data/models/videochat2_7b_stage3.pth', max_new_tokens=100),
    template=dict(style='vicuna'))
