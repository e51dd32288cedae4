"""VideoChat-Embed as an MVBench answerer (the harness in ``projects/mvbench`` builds it
through the registry and calls ``generate(video, prompt)``; this plugin does not import it).

Protocol of the MVBench paper's VideoChat row: the harness's Vicuna prompt (``###Human: ...
###Assistant: Best option:(``), greedy decoding of at most 100 new tokens stopped by ``###``;
the Q-Former takes no instruction (VideoChat's is queries-only).
"""
from __future__ import annotations

import torch
from mmengine.config import Config
from mmengine.logging import print_log
from torch import nn

from mmvideofm.checkpoint import load_checkpoint_file, unwrap_state_dict
from mmvideofm.registry import MODELS

from .converter import convert_videochat

__all__ = ['VideoChatMVBenchAnswerer']


@MODELS.register_module()
class VideoChatMVBenchAnswerer(nn.Module):
    """Answers MVBench items with a :class:`VideoChat` model.

    Args:
        model: ``VideoChat`` config, or the path of the training config whose ``model`` it is.
        checkpoint: Optional weights (ours, or an official VideoChat delta, converted on the
            fly; loaded safely); only frozen parameters may be missing.
        max_new_tokens: 100.
    """

    def __init__(self, model: dict | str | nn.Module, checkpoint: str | None = None,
                 max_new_tokens: int = 100) -> None:
        super().__init__()
        if isinstance(model, str):
            model = Config.fromfile(model).model.to_dict()
        self.model = MODELS.build(model) if isinstance(model, dict) else model
        self.max_new_tokens = max_new_tokens
        if checkpoint:
            sd = unwrap_state_dict(load_checkpoint_file(checkpoint))
            if not any(k.startswith(('llm_proj.', 'qformer.')) for k in sd):
                sd = convert_videochat(sd)
            missing, unexpected = self.model.load_state_dict(sd, strict=False)
            frozen = {n for n, p in self.model.named_parameters() if not p.requires_grad}
            bad = [k for k in missing if k not in frozen]
            if bad or unexpected:
                raise ValueError(f'{checkpoint} does not fit the VideoChat model: missing '
                                 f'trainable {bad[:10]}, unexpected {unexpected[:10]}')
            print_log(f'loaded {checkpoint} ({len(missing)} frozen tensors from the config)',
                      logger='current')
        self.model.eval()

    @torch.no_grad()
    def generate(self, video: torch.Tensor, prompt) -> str:
        """``video`` ``(T, 3, H, W)``, ``prompt.text`` with ``<VideoHere>`` -> the decoded new
        tokens (leading ``<unk>`` / ``<s>`` dropped, special tokens kept)."""
        model = self.model
        clip = video.permute(1, 0, 2, 3)[None].to(next(model.parameters()).device)
        segments = prompt.text.split(model.template.placeholder('video'))
        visual = model.encode_media(clip)[0]
        embeds = model._prompt_embeds(segments, [visual] * (len(segments) - 1))
        ids = model.llm.generate(embeds, stop=model.template.stop_strings,
                                 max_new_tokens=self.max_new_tokens)
        tok = model.llm.tokenizer
        for special in (tok.unk_token_id, tok.bos_token_id):
            if ids and ids[0] == special:
                ids = ids[1:]
        return model.llm.decode(ids)
