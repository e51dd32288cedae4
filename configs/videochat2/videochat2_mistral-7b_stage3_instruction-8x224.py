# VideoChat2-Mistral stage 3 (official videochat2_it_mistral.py): Mistral-7B-Instruct-v0.2,
# `[INST] ... [/INST]` conversations (only `answer </s>` supervised), LoRA r=16 alpha=32
# dropout 0.1 on q, k, v, o, gate, up, down and lm_head; the Q-Former instruction is `i`
# alone. Official checkpoints name the LLM / projection `mistral_model` / `mistral_proj`
# (the videochat2 converter maps them to llm.model / llm_proj).
_base_ = ['./videochat2_vicuna-7b_stage3_instruction-8x224.py']
llm_path = 'data/models/Mistral-7B-Instruct-v0.2'
model = dict(
    llm=dict(model=llm_path, tokenizer=llm_path, torch_dtype='bfloat16',
             peft=dict(r=16, alpha=32, dropout=0.1,
                       targets=['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj',
                                'up_proj', 'down_proj', 'lm_head'])),
    template='mistral_inst')
strategy = dict(model_wrapper=dict(auto_wrap_policy=dict(
    layer_cls=['Block', 'MistralDecoderLayer'])))
train_dataloader = dict(dataset=dict(pipeline=[
    dict(type='VideoInit'), dict(type='InstructionSampleFrames', num_frames=8, sample='rand'),
    dict(type='VideoDecode'), dict(type='mmaction.Resize', scale=(224, 224), keep_ratio=False),
    dict(type='mmaction.FormatShape', input_format='NCTHW'),
    dict(type='BuildConversation', template='mistral_inst', add_second_msg=True),
    dict(type='mmaction.PackActionInputs', meta_keys={{_base_.it_meta_keys}})]))
