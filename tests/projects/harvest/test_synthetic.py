"""Harvest's asserted synthetic result (default suite): post-pretraining a tiny image CLIP on
synthetic video captions (VTC + MLM through the fusion decoder, patch dropping, frozen text
tower: the default recipe) improves zero-shot text<->video retrieval on held-out clips over
the image CLIP it started from, used on video as image CLIPs are (frame features averaged).

Both models are trained by mmengine's Runner through tools/experiments/harvest_synthetic.py
with the configs' own budgets (the image CLIP: 10 epochs on single frames; post-pretraining:
10 epochs from its checkpoint), seed 0."""
from __future__ import annotations

from tools.experiments.harvest_synthetic import main

MARGIN = 2.0  # mean R points; measured +4.3 (seed 0) and +3.0 (seed 1), README


def test_post_pretraining_improves_retrieval_over_the_image_clip(tmp_path):
    runs = main(['--work-dir', str(tmp_path), '--skip-vtc'])['runs']
    image, harvest = runs['image_clip'], runs['harvest']
    assert image['mean_R'] > 30  # a working image CLIP (chance mean R ~ 5.3)
    assert harvest['mean_R'] >= image['mean_R'] + MARGIN, (image, harvest)
