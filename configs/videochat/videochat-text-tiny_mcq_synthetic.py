# VideoChat-Text's chat LLM, tiny, trained on text-only multiple-choice rows: the official
# VideoChat-Text prompt around the perception text of *training* clips (the synthetic oracle
# on tiny-MVBench items of other seeds, written by tools/experiments/videochat_synthetic.py),
# the MVBench question block as the new input, target 'X) option' after 'AI: Best option:('.
# Options are re-shuffled on every fetch. The tiny VideoChat-Embed's 2-layer LLaMA (config
# dict, synthetic SentencePiece tokenizer), its optimizer and schedule; everything trains.
_base_ = ['./videochat-tiny_stage1_synthetic-4x56.py']

data_root = 'data/videochat_text_synthetic'
tiny_llama = dict(model_type='llama', vocab_size=1000, hidden_size=64, intermediate_size=128,
                  num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=1024,
                  rms_norm_eps=1e-6, bos_token_id=1, eos_token_id=2, tie_word_embeddings=False,
                  attn_implementation='sdpa')  # 2.4x faster than eager here (~700 tokens)
model = dict(_delete_=True, type='VideoChatTextLM', max_len=1024, llm=dict(
    type='CausalLM', model=tiny_llama, tokenizer={{_base_._tokenizer}}, tuning='full'))
train_dataloader = dict(
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(_delete_=True, type='VideoChatTextMCQDataset',
                 ann_file=f'{data_root}/text_mcq_train.json',
                 pipeline=[dict(type='BuildVideoChatTextMCQ', shuffle=True)]))
max_epochs = 12
train_cfg = dict(max_epochs=max_epochs)
optim_wrapper = dict(optimizer=dict(lr=2e-3), clip_grad=dict(max_norm=1.0))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5,
                        by_epoch=True, begin=0, end=max_epochs, convert_to_iter_based=True)]
default_hooks = dict(checkpoint=dict(interval=max_epochs))
