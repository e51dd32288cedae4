"""Feed-forward block of the VideoMAE / UMT ViTs."""

import torch
from torch import nn


class Mlp(nn.Module):
    """``fc1 -> act -> fc2 -> drop`` (the official VideoMAE/UMT order: one dropout, after ``fc2``).

    Args:
        in_features: Input width.
        hidden_features: Hidden width; defaults to ``in_features``.
        out_features: Output width; defaults to ``in_features``.
        act_layer: Activation class (exact erf GELU by default).
        drop: Dropout rate after ``fc2``.
        bias: Whether the two Linear layers have a bias.
    """

    def __init__(self,
                 in_features: int,
                 hidden_features: int | None = None,
                 out_features: int | None = None,
                 act_layer: type[nn.Module] = nn.GELU,
                 drop: float = 0.,
                 bias: bool = True) -> None:
        super().__init__()
        out_features = out_features or in_features
        hidden_features = hidden_features or in_features
        self.fc1 = nn.Linear(in_features, hidden_features, bias=bias)
        self.act = act_layer()
        self.fc2 = nn.Linear(hidden_features, out_features, bias=bias)
        self.drop = nn.Dropout(drop) if drop > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.fc2(self.act(self.fc1(x))))
