"""Cut the Q-Former parts (qformer_parity.pt) and the LLM parts (llm_parity.pt: LLM weights,
the training splice and the generation path) out of shared/parity/videochat2 (run once).

Usage: .venv/bin/python tests/data/llm/extract_qformer_fixture.py /path/to/shared/parity/videochat2
"""
import json
import sys
from pathlib import Path

import torch

CASES = ['vc2_it_f8_s32_q8e4_instr_lora', 'vc2_it_f4_s48_q6e0_noinstr',
         'vc2_eval_f4to16_s32_q8e8_mvbench']
IO_KEYS = ('vit.vision_layernorm_out', 'qformer.', 'inputs_llama', 'image.vision_layernorm_out',
           'image.qformer.', 'image.inputs_llama')


def main(src: str) -> None:
    src = Path(src)
    manifest = json.loads((src / 'manifest.json').read_text())
    out, llm = {}, {}
    for case in CASES:
        state = torch.load(src / f'{case}__state_dict.pt', weights_only=True)
        io = torch.load(src / f'{case}__io.pt', weights_only=True)
        keep = {k: v for k, v in state.items()
                if k.startswith(('qformer.', 'query_tokens', 'extra_query_tokens', 'llama_proj.'))}
        keep.update({f'io.{k}': v for k, v in io.items() if k.startswith(IO_KEYS)})
        out[case] = keep
        llm[case] = {k: v for k, v in state.items() if k.startswith('llama_model.')}
        llm[case].update({f'io.{k}': v for k, v in io.items() if k.startswith(('train.', 'gen.'))})
    torch.save(out, Path(__file__).with_name('qformer_parity.pt'))
    torch.save(llm, Path(__file__).with_name('llm_parity.pt'))
    facts = {case: dict(model_config=manifest[case]['model_config'],
                        bert_config=next(v for k, v in manifest[case].items()
                                         if k.startswith('bert_config')),
                        encode_img_instruction=manifest[case]['facts']['encode_img_instruction'],
                        image_instruction=manifest[case]['facts'].get('image_instruction'),
                        llama_config=next(v for k, v in manifest[case].items()
                                          if k.startswith('llama_config')),
                        notebook_lora=next(v for k, v in manifest[case].items()
                                           if k.startswith('notebook_lora')),
                        **{k: v for k, v in manifest[case]['facts'].items()
                           if k.startswith(('train_segments', 'gen_', 'stop_words'))})
             for case in CASES}
    Path(__file__).with_name('parity_manifest.json').write_text(
        json.dumps(facts, indent=1))


if __name__ == '__main__':
    main(sys.argv[1])
    # the Q-Former tokenizer's vocabulary (216 entries + [DEC]) is copied beside it
