"""VideoChat-Embed (``video_chat/models/videochat.py``) on the core :class:`BaseVideoLLM`:
EVA ViT-g + Global MHRA -> ``ln_vision`` -> BLIP-2 Q-Former (queries only, 32 + 64 extra)
-> ``llama_proj`` -> Vicuna / StableVicuna, the ``###Human`` / ``###Assistant`` template.

Official names -> ours (the ``videochat`` converter maps them): ``visual_encoder`` ->
``vision_encoder``, ``ln_vision`` -> ``vision_layernorm``, ``Qformer`` / ``query_tokens`` /
``extra_query_tokens`` -> ``qformer.*``, ``llama_proj`` -> ``llm_proj``, ``llama_model`` ->
``llm.model``. Trainable in both official stages (``freeze_vit``, ``freeze_qformer``, frozen
LLM): the GMHRA modules and ``gmhra_cls_token``, ``ln_vision``, ``extra_query_tokens``,
``llama_proj``.
"""
from __future__ import annotations

import torch
from torch import nn

import mmvideofm.models.llm  # noqa: F401  (registers the core QFormer / CausalLM)
from mmvideofm.models.llm import BaseVideoLLM
from mmvideofm.registry import MODELS

__all__ = ['VideoChat', 'LLMSizeMismatchError']

CLIP_PREPROCESSOR = dict(type='ActionDataPreprocessor', format_shape='NCTHW',
                         mean=[122.770938, 116.7460125, 104.09373615],
                         std=[68.5005327, 66.6321579, 70.32316305])


class LLMSizeMismatchError(ValueError):
    """A VideoChat checkpoint of one LLM size (7B: 4096 wide, 13B: 5120) loaded into the
    other (upstream Ask-Anything issue #101)."""


@MODELS.register_module()
class VideoChat(BaseVideoLLM):
    """VideoChat-Embed video LLM (https://arxiv.org/abs/2305.06355).

    Args:
        vision_encoder: ``VideoChatEVAViT`` config.
        qformer: Core ``QFormer`` arguments without ``encoder_width`` / ``text_input``
            (``bert_config``, ``num_query_tokens`` 32, ``num_extra_query_tokens`` 64).
        llm: Core ``CausalLM`` config (``tuning='frozen'`` officially).
        freeze_vit / freeze_mhra / freeze_qformer: Official switches (True / False / True):
            a frozen ViT keeps its ``*mhra*`` parameters trainable unless ``freeze_mhra``; a
            frozen Q-Former keeps ``extra_query_tokens`` trainable; ``freeze_mhra`` also
            freezes ``ln_vision``. See :meth:`train` for the eval-mode rule.
        ln_vision_eps: ``ln_vision`` eps (nn.LayerNorm default 1e-5).
        **kwargs: :class:`BaseVideoLLM` arguments (``template`` ``'videochat'``,
            ``num_frames``, ``image_size``, ``generation_cfg``, ...).
    """

    default_data_preprocessor = CLIP_PREPROCESSOR

    def __init__(self, vision_encoder: dict, qformer: dict, llm: dict,
                 freeze_vit: bool = True, freeze_mhra: bool = False,
                 freeze_qformer: bool = True, ln_vision_eps: float = 1e-5,
                 template: str = 'videochat', **kwargs) -> None:
        vision = MODELS.build(vision_encoder)
        qformer = {**dict(num_query_tokens=32, num_extra_query_tokens=64), **qformer,
                   **dict(type='QFormer', encoder_width=vision.embed_dim, text_input=False)}
        super().__init__(vision_encoder=vision, llm=llm, qformer=qformer,
                         vision_layernorm=ln_vision_eps, template=template, **kwargs)
        self.freeze_vit, self.freeze_mhra, self.freeze_qformer = (freeze_vit, freeze_mhra,
                                                                  freeze_qformer)
        if getattr(self.qformer, 'extra_query_tokens', None) is not None:
            nn.init.zeros_(self.qformer.extra_query_tokens)  # official: zero-created
        if freeze_vit:
            for name, param in self.vision_encoder.named_parameters():
                param.requires_grad_('mhra' in name and not freeze_mhra)
            if freeze_mhra:
                self.vision_layernorm.requires_grad_(False)
        if freeze_qformer:
            self.qformer.requires_grad_(False)
            if self.qformer.num_extra_query_tokens:
                self.qformer.extra_query_tokens.requires_grad_(True)
        self._register_load_state_dict_pre_hook(self._check_llm_size)

    def _check_llm_size(self, state: dict, prefix: str, *args, **kwargs) -> None:
        key = prefix + 'llm_proj.weight'
        if key in state and state[key].shape != self.llm_proj.weight.shape:
            got, want = state[key].shape[0], self.llm_proj.weight.shape[0]
            sizes = {4096: '7B', 5120: '13B'}
            raise LLMSizeMismatchError(
                f'this VideoChat checkpoint projects to a {got}-wide LLM '
                f'({sizes.get(got, "?")}) but the model\'s LLM is {want} wide '
                f'({sizes.get(want, "?")}): use the matching config '
                f'(videochat_vicuna-7b_* for videochat_7b.pth, videochat_stable-vicuna-13b_* '
                f'for videochat.pth) -- upstream issue #101')

    def train(self, mode: bool = True) -> VideoChat:
        """Official ``disabled_train``: the Q-Former when frozen, the ViT and ``ln_vision``
        only when the GMHRA is frozen too (with trainable GMHRA the whole ViT stays in train
        mode, so the GMHRA dropout is active)."""
        super().train(mode)
        if mode and self.freeze_vit and self.freeze_mhra:
            self.vision_encoder.eval()
            self.vision_layernorm.eval()
        if mode and self.freeze_qformer:
            self.qformer.eval()
        return self

    def encode_img(self, video: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Official ``encode_img``: ``(B, T, 3, H, W)`` -> (``inputs_llama`` (B, Nq, H_llm),
        ``atts_llama`` ones (B, Nq) int64)."""
        visual = self.encode_media(video.permute(0, 2, 1, 3, 4))
        return visual, torch.ones(visual.shape[:2], dtype=torch.long, device=visual.device)
