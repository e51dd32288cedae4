"""VideoChat-Embed as an MVBench answerer (the harness in ``projects/mvbench`` builds it
through the registry and calls ``generate(video, prompt)``; this plugin does not import it).

Protocol of the MVBench paper's VideoChat row: the harness's Vicuna prompt (``###Human: ...
###Assistant: Best option:(``), greedy decoding of at most 100 new tokens stopped by ``###``;
the Q-Former takes no instruction (VideoChat's is queries-only).
"""
from __future__ import annotations

import torch
from mmengine.config import Config
from torch import nn

from mmvideofm.checkpoint import load_converted_weights
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
        self.max_new_tokens = max_new_tokens
        if not isinstance(model, nn.Module):  # a config dict or a training config file
            cfg = Config.fromfile(model).model if isinstance(model, str) else model
            model = MODELS.build(dict(cfg))
        self.model = model.eval()
        if checkpoint:
            self._load(checkpoint)

    def _load(self, checkpoint: str) -> None:
        """Ours or an official delta (converted); a missing trainable tensor is an error."""
        def convert(sd: dict, module: nn.Module) -> dict:
            ours = any(k.startswith(('llm_proj.', 'qformer.')) for k in sd)
            return sd if ours else convert_videochat(sd)
        missing = load_converted_weights(self.model, checkpoint, convert)
        trainable = {n for n, p in self.model.named_parameters() if p.requires_grad}
        if trainable & set(missing):
            raise ValueError(f'{checkpoint} does not fit the VideoChat model: it lacks the '
                             f'trainable {sorted(trainable & set(missing))[:10]}')

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
