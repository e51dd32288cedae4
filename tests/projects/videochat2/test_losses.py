"""Stage-1 criteria against the official ``VideoChat2_qformer`` intermediates."""
import pytest
import torch

from mmvideofm.models.losses import VTCLoss
from mmvideofm.models.losses.vision_text_loss import video_text_similarity
from projects.videochat2.models.losses import (
    VideoChat2VTMLoss,
    caption_loss,
    clamp_temperature_,
    hard_negative_weights,
)

from .fixtures import S1_CASE, assert_close, load


@pytest.fixture(scope='module')
def io():
    return load(S1_CASE, 'io')


@pytest.mark.parametrize('batch', ['video', 'image'])
def test_stage1_criteria(io, batch):
    temp = io[f'{batch}.temp_before'].clone()
    clamp_temperature_(temp)
    assert_close(temp, io[f'{batch}.temp_after'])
    v, t, idx = io[f'{batch}.vision_proj'], io[f'{batch}.text_proj'], io[f'{batch}.idx']
    sim_v2t, _ = video_text_similarity(v, t, temp)
    assert_close(sim_v2t, io[f'{batch}.vtc.sim_v2t'])
    assert_close(VTCLoss()(v, t, temp, idx), io[f'{batch}.loss_vtc'])
    w_t2v, w_v2t = hard_negative_weights(v, t, temp, idx)
    assert_close(w_t2v, io[f'{batch}.vtm.weights_t2v'], atol=1e-7, rtol=1e-6)
    assert_close(w_v2t, io[f'{batch}.vtm.weights_v2t'], atol=1e-7, rtol=1e-6)
    # replay the official draws: same generator state, same order, same weights
    torch.set_rng_state(io[f'{batch}.vtm.rng_state'])
    captured = {}

    def fusion(text, atts, vision):
        captured.update(text=text, vision=vision)
        return io[f'{batch}.vtm.logits']

    b = v.shape[0]
    vision_ids, text_ids = torch.arange(b).float(), torch.arange(b).float()[:, None]
    loss_vtm = VideoChat2VTMLoss()(fusion, vision_ids, text_ids, text_ids, idx=idx,
                                   proj=(v, t, temp))
    vneg, tneg = io[f'{batch}.vtm.vision_neg_indices'], io[f'{batch}.vtm.text_neg_indices']
    assert captured['vision'][b:2 * b].long().tolist() == vneg.tolist()
    assert captured['text'][2 * b:, 0].long().tolist() == tneg.tolist()
    assert_close(loss_vtm, io[f'{batch}.loss_vtm'])
    assert_close(caption_loss(io[f'{batch}.cap.logits'], io[f'{batch}.cap.labels']),
                 io[f'{batch}.loss_cap'])
    ids = io[f'{batch}.text_input_ids'].clone()
    ids[:, 0] = 216  # [DEC]
    assert torch.equal(ids, io[f'{batch}.cap.input_ids'])
    assert torch.equal(ids.masked_fill(ids == 0, -100), io[f'{batch}.cap.labels'])


def test_soft_targets_for_duplicate_idx(io):
    """The image batch has idx [7, 3, 7]: rows 0 and 2 share the positives (1/2 each)."""
    targets = io['image.vtc.targets']
    assert targets[0].tolist() == [0.5, 0.0, 0.5] and targets[1].tolist() == [0., 1., 0.]
