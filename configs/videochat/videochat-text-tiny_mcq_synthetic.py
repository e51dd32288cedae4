# VideoChat-Text's chat LLM, tiny, trained on text-only multiple-choice rows: the official
# VideoChat-Text prompt around the perception text of *training* clips (the synthetic oracle
# on tiny-MVBench items of other seeds, written by tools/experiments/videochat_synthetic.py),
# the MVBench question block as the new input, target 'X) option' after 'AI: Best option:('.
# Options are re-shuffled on every fetch. A 2-layer LLaMA from a config dict with the
# synthetic SentencePiece tokenizer; everything trains.
_base_ = ['../_base_/default_runtime.py']
custom_imports = dict(imports=['projects.videochat'], allow_failed_imports=False)

data_root = 'data/videochat_text_synthetic'
_tokenizer = '{{fileDirname}}/../../mmvideofm/datasets/synthetic/assets/' \
    'synthetic_llama_tokenizer/tokenizer.model'
tiny_llama = dict(model_type='llama', vocab_size=1000, hidden_size=64, intermediate_size=128,
                  num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=1024,
                  rms_norm_eps=1e-6, bos_token_id=1, eos_token_id=2, tie_word_embeddings=False,
                  attn_implementation='sdpa')  # 2.4x faster than eager here (~700 tokens)
model = dict(type='VideoChatTextLM', max_len=1024,
             llm=dict(type='CausalLM', model=tiny_llama, tokenizer=_tokenizer, tuning='full'))
train_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='VideoChatTextMCQDataset', ann_file=f'{data_root}/text_mcq_train.json',
                 pipeline=[dict(type='BuildVideoChatTextMCQ', shuffle=True)]))
max_epochs = 12
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs + 1)
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=2e-3, betas=(0.9, 0.999), weight_decay=0.02),
                     clip_grad=dict(max_norm=1.0))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5,
                        by_epoch=True, begin=0, end=max_epochs, convert_to_iter_based=True)]
default_hooks = dict(logger=dict(interval=10),
                     checkpoint=dict(interval=max_epochs, max_keep_ckpts=1, save_best=None))
custom_hooks = []
randomness = dict(seed=0)
