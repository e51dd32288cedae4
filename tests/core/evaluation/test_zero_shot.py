"""Zero-shot recognition metric: prompt ensembling by the mean of per-prompt similarities,
top-1 / top-5 / AVG, class names from files or the dataset, the loop hand-over."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import BaseDataElement

from mmvideofm.evaluation import (
    ACTIONCLIP_TEMPLATES,
    ZeroShotClassificationMetric,
    ZeroShotValLoop,
    build_prompts,
    zero_shot_scores,
)
from mmvideofm.evaluation.zero_shot import read_class_names


def test_actionclip_templates_and_prompts():
    assert len(ACTIONCLIP_TEMPLATES) == 16 and len(set(ACTIONCLIP_TEMPLATES)) == 16
    prompts = build_prompts(['run', 'jump'], ['a {}', '{}!'])
    assert prompts == ['a run', 'run!', 'a jump', 'jump!']  # class-major
    with pytest.raises(ValueError, match='{}'):
        build_prompts(['run'], ['no slot'])


def test_scores_are_mean_of_per_prompt_similarities():
    """Not the similarity to the mean prompt embedding: the mean of the similarities."""
    g = torch.Generator().manual_seed(0)
    video = F.normalize(torch.randn(4, 8, generator=g), dim=-1)
    text = F.normalize(torch.randn(3, 5, 8, generator=g), dim=-1)
    scores = zero_shot_scores(video, text)
    ref = torch.stack([torch.stack([(video[n] @ text[c].T).mean() for c in range(3)])
                       for n in range(4)])
    torch.testing.assert_close(scores, ref)


def _encoder(class_dirs: torch.Tensor, names: list[str], templates: list[str]):
    """A fake text encoder: each prompt's feature is its class direction plus noise."""
    lookup = {t.format(c): class_dirs[i] for i, c in enumerate(names) for t in templates}
    calls = []

    def encode(texts):
        calls.append(len(texts))
        return F.normalize(torch.stack([lookup[t] for t in texts]), dim=-1)
    return encode, calls


def _samples(video, labels):
    return [BaseDataElement(video_feat=v, gt_label=torch.tensor([int(y)]))
            for v, y in zip(video, labels)]


def test_metric_top1_top5_avg(tmp_path):
    names = [f'class {i}' for i in range(7)]
    templates = ['a video of {}', '{}']
    g = torch.Generator().manual_seed(1)
    dirs = F.normalize(torch.randn(7, 16, generator=g), dim=-1)
    labels = torch.arange(14) % 7
    video = dirs[labels].clone()
    video[:4] = dirs[(labels[:4] + 1) % 7]  # 4 of 14 videos look like the next class
    label_file = tmp_path / 'labels.txt'
    label_file.write_text(''.join(f'{i} {n}\n' for i, n in enumerate(names)))
    assert read_class_names(str(label_file)) == names
    metric = ZeroShotClassificationMetric(class_names=str(label_file), templates=templates,
                                          text_batch_size=5)
    encode, calls = _encoder(dirs, names, templates)
    metric.set_text_encoder(encode)
    metric.process(None, _samples(F.normalize(video, dim=-1), labels))
    out = metric.evaluate(14)
    assert out['zero_shot/top1'] == pytest.approx(100 * 10 / 14)
    top5 = zero_shot_scores(F.normalize(video, dim=-1), dirs[:, None].expand(7, 2, 16))
    ref5 = (top5.topk(5, 1).indices == labels[:, None]).any(1).float().mean() * 100
    assert out['zero_shot/top5'] == pytest.approx(float(ref5))
    assert out['zero_shot/avg'] == pytest.approx((out['zero_shot/top1'] +
                                                  out['zero_shot/top5']) / 2)
    assert calls == [5, 5, 4]  # 14 prompts in batches of 5, computed once


def test_metric_errors_and_dataset_classes():
    metric = ZeroShotClassificationMetric(templates=['{}'])
    metric.dataset_meta = {}
    with pytest.raises(ValueError, match='class names'):
        metric.classes()
    metric.dataset_meta = dict(classes=('up', 'down'))
    assert metric.classes() == ['up', 'down']
    metric.process(None, _samples(torch.eye(2), [0, 1]))
    with pytest.raises(RuntimeError, match='ZeroShotValLoop'):
        metric.compute_metrics(metric.results)
    with pytest.raises(KeyError, match='gt_label'):
        metric.process(None, [BaseDataElement(video_feat=torch.ones(2))])
    with pytest.raises(FileNotFoundError, match='one name per line'):
        read_class_names('/nonexistent/labels.txt')


def test_loop_hands_text_features_to_metric():
    class Model(torch.nn.Module):
        def text_features(self, texts, normalize=False):
            return F.normalize(torch.randn(len(texts), 4), dim=-1)

    metric = ZeroShotClassificationMetric(class_names=['a'], templates=['{}'])

    class Evaluator:
        metrics = [metric]

    class Runner:
        model = Model()

    class Base:
        def run(self):
            return 'ran'
    loop = type('Loop', (ZeroShotValLoop.__mro__[1], Base), {})()
    loop.runner, loop.evaluator = Runner(), Evaluator()
    assert loop.run() == 'ran' and metric.text_encoder is not None
    assert metric.class_text_features()[0].shape == (1, 4)


def test_class_prompts_of_different_lengths():
    dirs = torch.eye(3)
    prompts = [['a', 'b'], ['c'], ['d', 'e', 'f']]
    feats = {'a': dirs[0], 'b': dirs[0], 'c': dirs[1], 'd': dirs[2], 'e': dirs[2], 'f': dirs[1]}
    metric = ZeroShotClassificationMetric(class_prompts=prompts, topk=(1, ))
    metric.set_text_encoder(lambda texts: torch.stack([feats[t] for t in texts]))
    metric.process(None, _samples(dirs, [0, 1, 2]))
    out = metric.compute_metrics(metric.results)
    assert out == {'top1': 100.}  # class 2: mean(1, 1, 0) = 2/3 beats class 1's 0
    with pytest.raises(ValueError, match='one prompt'):
        ZeroShotClassificationMetric(class_prompts=[['a'], []])
