# UMT stage 2 (L/16): CLIP L/14 teacher at 196 px, BERT-large with fusion layers 19-23,
# joint space 768 (paper L/16-25M: MSRVTT zero-shot T2V R@1 40.7).
_base_ = ['./umt-base-p16_bert-base_25m-pre_f4-res224_video-text.py']

bert_large = dict(vocab_size=30522, hidden_size=1024, num_hidden_layers=24,
                  num_attention_heads=16, intermediate_size=4096, hidden_act='gelu',
                  hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
                  max_position_embeddings=512, type_vocab_size=2, layer_norm_eps=1e-12,
                  pad_token_id=0)
model = dict(
    backbone=dict(arch='l', drop_path_rate=0.2),
    teacher=dict(arch='l14', input_resolution=196),
    text_encoder=dict(config=bert_large, fusion_layer=19, pretrained='bert-large-uncased'),
    tokenizer=dict(name_or_path='bert-large-uncased'),
    embed_dim=768)
