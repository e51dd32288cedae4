"""Cut the Q-Former, projection, LLM and chat parts of shared/parity/videochat (VideoChat v1:
BLIP-2 Q-Former with extra queries, multi-turn chat) into videochat_chat.pt /
videochat_chat.json, and copy its tokenizer.model as videochat_tokenizer.model (run once).

Usage: .venv/bin/python tests/data/llm/extract_videochat_fixture.py /path/to/shared/parity/videochat
"""
import json
import shutil
import sys
from pathlib import Path

import torch

CASES = ['videochat_f4_s28_d3_g2', 'videochat_f8_s42_d2_g1']
IO_KEYS = ('image_embeds', 'qformer_', 'query_tokens_cat', 'inputs_llama', 'chat_visual_embeds',
           'turn')
FACT_KEYS = ('video_msg', 'turns', 'final_messages', 'fixture_stop_words_ids', 'llama_config',
             'qformer_config', 'videochat_config')


def main(src: str) -> None:
    src, here = Path(src), Path(__file__).parent
    out, facts = {}, {}
    for case in CASES:
        state = torch.load(src / f'{case}__state_dict.pt', weights_only=True)
        io = torch.load(src / f'{case}__io.pt', weights_only=True)
        keep = {k: v for k, v in state.items() if not k.startswith('visual_encoder.')}
        keep.update({f'io.{k}': v for k, v in io.items() if k.startswith(IO_KEYS)})
        out[case] = keep
        all_facts = json.loads((src / f'{case}__facts.json').read_text())
        facts[case] = {k: all_facts[k] for k in FACT_KEYS}
    torch.save(out, here / 'videochat_chat.pt')
    (here / 'videochat_chat.json').write_text(json.dumps(facts, indent=1))
    shutil.copy(src / 'tokenizer.model', here / 'videochat_tokenizer.model')


if __name__ == '__main__':
    main(sys.argv[1])
