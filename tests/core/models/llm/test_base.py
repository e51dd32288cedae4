"""BaseVideoLLM on the tiny config: instruction loss (learns), answers (streamed == whole),
the official answer post-processing, Q-Former instruction truncation, bad input."""
from pathlib import Path

import pytest
import torch
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmvideofm.models.llm import AnswerText, BaseVideoLLM
from mmvideofm.registry import MODELS

CONFIG = Path(__file__).parents[4] / 'configs' / '_base_' / 'models' / 'tiny_video_llm.py'


def build(**overrides) -> BaseVideoLLM:
    init_default_scope('mmvideofm')
    cfg = Config.fromfile(CONFIG).model
    cfg.update(overrides)
    torch.manual_seed(0)
    return MODELS.build(cfg)


def sample(conversation: str, instruction: str = '', media: str = 'video') -> ActionDataSample:
    return ActionDataSample(metainfo=dict(conversation=conversation, instruction=instruction,
                                          media_type=media))


CONV = ('Watch the video. ###Human: <Video></Video> The video contains 4 frames sampled at '
        '0.5, 1.5, 2.5, 3.5 seconds. ###Human: What moves? ###Assistant: The red square. ###')


@pytest.fixture(scope='module')
def model():
    return build().eval()


def test_loss_learns_answers(model):
    assert any('lora_' in n for n, p in model.named_parameters() if p.requires_grad)
    assert not any(p.requires_grad for n, p in model.named_parameters()
                   if n.startswith('llm.') and 'lora_' not in n)  # LLM frozen but LoRA
    full = build(llm=dict(Config.fromfile(CONFIG).model.llm, peft=None, tuning='full'))
    full.train()
    video = torch.randn(2, 3, 4, 32, 32)
    samples = [sample(CONV, 'Watch the video. What moves?'),
               sample(CONV.replace('red square', 'blue circle'), '')]
    trainable = [p for p in full.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(trainable, lr=3e-3)
    losses = []
    for _ in range(10):
        loss = full(video, samples, mode='loss')['loss']
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0], losses


def test_answer_stream_and_predict(model):
    video = torch.randn(1, 3, 4, 32, 32)
    visual = model.encode_media(video, ['Watch the video.'])
    assert visual.shape == (1, 8, 64)  # 4 + 4 queries, projected to the LLM width
    conv = model.template.new()
    conv.add_media('video')
    conv.ask('What moves?')
    segments = conv.get_prompt().split('<VideoHere>')
    whole = model.answer(segments, [visual[0]], max_new_tokens=16)
    assert ''.join(model.stream_answer(segments, [visual[0]], max_new_tokens=16)) == whole
    ds = ActionDataSample(metainfo=dict(question='What moves?', instruction='Watch the video.'))
    model.generation_cfg['max_new_tokens'] = 16
    out = model(video, [ds], mode='predict')
    assert out[0].pred_text == whole
    with pytest.raises(ValueError, match='visual inputs'):
        model.answer(segments + ['x'], [visual[0]], max_new_tokens=2)


def test_answer_text_official_postprocessing(model):
    tok = model.llm.tokenizer

    def ids(text, bos=False):
        return tok(text, add_special_tokens=bos).input_ids

    def run(token_ids):
        text = AnswerText(model.llm, model.template)
        pieces = [text.push(t) for t in token_ids]
        return ''.join(pieces) + text.final()

    assert run(ids(' the cat sits ###Human: more', bos=True)) == 'the cat sits'  # <s> dropped
    assert run([0] + ids('a dog')) == 'a dog'  # leading <unk> dropped
    assert run(ids('Assistant: a cow')) == 'a cow'  # role marker at the start
    assert run(ids('x ##')) == 'x ##'  # a partial separator that never completes is kept


def test_qformer_instruction_left_truncation():
    model = build(max_txt_len=6)
    long = 'first words are dropped and the end is kept'
    ids, mask = model.tokenize_instructions([long, 'short'], torch.device('cpu'))
    tok = model.qformer_tokenizer
    assert ids.shape == (2, 6) and mask[0].all()
    assert ids[0, 0] == tok.cls_token_id and ids[0, -1] == tok.sep_token_id  # [CLS] stays
    assert ids[0, 1:-1].tolist() == tok(long, add_special_tokens=False).input_ids[-4:]
    assert len(tok) == 217 and tok.bos_token == '[DEC]'


def test_bad_input(model):
    video = torch.randn(1, 3, 4, 32, 32)
    with pytest.raises(ValueError, match="exactly one '</Video>'"):
        model(video, [sample('###Human: no video here ###Assistant: a ###')], mode='loss')
    with pytest.raises(ValueError, match='image'):  # an image sample given as a video clip
        model(video, [sample(CONV.replace('Video>', 'Image>'), media='image')], mode='loss')
    image = torch.randn(1, 3, 1, 32, 32)
    with pytest.raises(ValueError, match='T=1'):  # a video conversation, one frame
        model(image, [sample(CONV)], mode='loss')
    with pytest.raises(ValueError, match='data samples'):
        model(video, None, mode='loss')
    short = build(llm=dict(Config.fromfile(CONFIG).model.llm, max_txt_len=4))
    with pytest.raises(ValueError, match='max_txt_len'):
        short(video, [sample(CONV)], mode='loss')  # truncated before any answer: no NaN
    with pytest.raises(ValueError, match='vision_width'):
        build(qformer=None)
    linear = build(qformer=None, vision_width=32, qformer_tokenizer=None)  # VideoLLM-style
    assert linear.encode_media(video).shape == (1, 16, 64)  # every vision token projected


class _FramePool(torch.nn.Module):
    """A temporal module: one token per frame (mean over its patches)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, T, L, C) -> (B, T, C)
        return x.mean(dim=2)


def test_temporal_module_between_encoder_and_connector():
    model = build(qformer=None, vision_width=32, qformer_tokenizer=None,
                  temporal_module=_FramePool()).eval()
    video = torch.randn(2, 3, 4, 32, 32)
    with torch.no_grad():
        tokens = model.vision_encoder(video).reshape(2, 4, 4, 32).mean(dim=2)
        expected = model.llm_proj(model.vision_layernorm(tokens))
        torch.testing.assert_close(model.encode_media(video), expected)  # (B, T, H_llm)
