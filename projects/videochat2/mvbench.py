"""VideoChat2 as an MVBench answerer (the harness in ``projects/mvbench`` builds it through
the registry and calls ``generate(video, prompt)``; this plugin does not import it).

The official notebook protocol (``mvbench.ipynb`` ``infer_mvbench``): 16 frames, the prompt
``SYS###Human: <Video><VideoHere></Video>\\n###Human: SYS + question + '\\nOnly give the best
option.'\\n###Assistant: Best option:(`` (built by the harness), the Q-Former reads SYS,
greedy decoding of at most 100 new tokens stopped by ``###``; the harness then applies the
notebook's ``answer()`` split and keeps the first line after re-adding ``(``.
"""
from __future__ import annotations

import torch
from mmengine.config import Config
from mmengine.logging import print_log
from torch import nn

from mmvideofm.checkpoint import load_checkpoint_file, unwrap_state_dict
from mmvideofm.registry import MODELS

from .converter import convert_videochat2

__all__ = ['VideoChat2MVBenchAnswerer']


@MODELS.register_module()
class VideoChat2MVBenchAnswerer(nn.Module):
    """Answers MVBench items with a :class:`VideoChat2` model.

    Args:
        model: ``VideoChat2`` config (stage 3), or the path of a training config whose
            ``model`` it is (the stage-3 config the checkpoint came from).
        checkpoint: Optional weights (ours, or an official ``videochat2_7b_stage3.pth``,
            converted on the fly; loaded safely). The frozen LLM weights come from the
            model's ``llm.model`` folder; any other missing key is an error.
        max_new_tokens: 100 (notebook).
    """

    def __init__(self, model: dict | str | nn.Module, checkpoint: str | None = None,
                 max_new_tokens: int = 100) -> None:
        super().__init__()
        if isinstance(model, str):
            model = Config.fromfile(model).model.to_dict()
        self.model = MODELS.build(model) if isinstance(model, dict) else model
        self.max_new_tokens = max_new_tokens
        if checkpoint:
            self.load_weights(checkpoint)
        self.model.eval()

    def load_weights(self, path: str) -> None:
        """Load ours or an official checkpoint; only frozen LLM tensors may be missing."""
        sd = unwrap_state_dict(load_checkpoint_file(path))
        if not any(k.startswith(('llm_proj.', 'qformer.query_tokens')) for k in sd):
            sd = convert_videochat2(sd)
        missing, unexpected = self.model.load_state_dict(sd, strict=False)
        frozen = {n for n, p in self.model.named_parameters() if not p.requires_grad}
        bad = [k for k in missing if k not in frozen]
        if bad or unexpected:
            raise ValueError(f'{path} does not fit the VideoChat2 model: missing (besides the '
                             f'frozen LLM) {bad[:10]}, unexpected {unexpected[:10]}')
        print_log(f'loaded {path} ({len(missing)} frozen LLM tensors from llm.model)',
                  logger='current')

    @torch.no_grad()
    def generate(self, video: torch.Tensor, prompt) -> str:
        """``video`` ``(T, 3, H, W)`` (harness preprocessing), ``prompt`` an MVBench prompt
        (``text`` with ``<VideoHere>``, ``qformer_instruction``) -> the decoded new tokens."""
        clip = video.permute(1, 0, 2, 3)[None].to(next(self.model.parameters()).device)
        ids = self.model.generate_ids(clip, prompt.text, prompt.qformer_instruction,
                                      max_new_tokens=self.max_new_tokens)
        return self.model.decode_answer(ids)
