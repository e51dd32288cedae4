"""Extract the VideoChat2 conversation / label-mask cases of the shared parity fixture.

    .venv/bin/python tests/data/core/llm/extract_conversation_fixture.py ../shared/parity/videochat2

Writes ``videochat2_conversations.json`` next to this file: per training sample the official
conversation, QFormer instruction, split and which ``p_after`` tokens the official forward
supervises (``train.labels != -100``), plus the MVBench evaluation prompt. The QA lists are
those the fixture generator gave ``process_qa`` (see the fixture README's case list).
"""
import json
import os.path as osp
import sys

import torch

CASES = {  # case -> per sample: (media, qa) given to the official process_qa
    'vc2_it_f8_s32_q8e4_instr_lora': [
        ('video', [dict(i='Watch the video and answer the question.',
                        q='What is the person doing in the video?',
                        a='A person is cooking food in the kitchen.'),
                   dict(i='', q='Which object is moving?', a='The ball moves to the left.')]),
        ('video', [dict(i='', q='', a='Two dogs are running through the snow.')]),
    ],
    'vc2_it_f4_s48_q6e0_noinstr': [
        ('image', [dict(i='Observe the image and answer the question.',
                        q='Which object is moving?', a='The cat jumps onto the sofa and sleeps.')]),
        ('image', [dict(i='', q='Describe the video in detail.',
                        a='The children are playing football in the park.'),
                   dict(i='', q='How many times does the person clap?', a='No.')]),
    ],
}


def main(root: str) -> None:
    manifest = json.load(open(osp.join(root, 'manifest.json')))
    out = dict(samples=[])
    for case, samples in CASES.items():
        facts, n_vis = manifest[case]['facts'], manifest[case]['n_visual_tokens']
        io = torch.load(osp.join(root, f'{case}__io.pt'), weights_only=True)
        for k, (media, qa) in enumerate(samples):
            before = io[f'train.p_before_ids.{k}']
            after = io[f'train.p_after_ids.{k}'].tolist()
            start = len(before) + n_vis + 1
            labels = io['train.labels'][k, start:start + len(after)].tolist()
            assert all(lab in (-100, a) for lab, a in zip(labels, after))
            msgs = facts.get('train_second_msgs', ['', ''])
            out['samples'].append(dict(
                case=case, media=media, qa=qa, msg=msgs[k] if media == 'video' else '',
                conversation=facts['train_conversations'][k],
                instruction=facts['train_instructions'][k],
                p_before=facts['train_segments'][k]['p_before'],
                p_after=facts['train_segments'][k]['p_after'], p_after_ids=after,
                supervised=[lab != -100 for lab in labels]))
    eval_case = manifest['vc2_eval_f4to16_s32_q8e8_mvbench']
    gen, facts = eval_case['gen'], eval_case['facts']
    out['mvbench'] = dict(system=gen['system'], question=gen['question'],
                          answer_prompt=gen['answer_prompt'], prompt=facts['gen_prompt'],
                          qformer_instruction=facts['gen_qformer_instruction'],
                          stop_words_ids=facts['stop_words_ids'])
    with open(osp.join(osp.dirname(osp.abspath(__file__)), 'videochat2_conversations.json'),
              'w') as f:
        json.dump(out, f, indent=1)


if __name__ == '__main__':
    main(sys.argv[1])
