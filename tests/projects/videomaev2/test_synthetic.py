"""The synthetic world: the runner path of the three *_synthetic configs, and the comparison
pre-training -> fine-tuning vs scratch of ``tools/experiments/videomaev2_pretrain_vs_scratch.py``
(numbers in projects/videomaev2/README.md)."""
import torch

from tools.experiments import videomaev2_pretrain_vs_scratch as experiment
from tools.experiments.common import config_path, run_config

TINY = {'train_dataloader.batch_size': 2, 'train_dataloader.dataset.num_samples': 4,
        'custom_hooks': []}


def test_synthetic_configs_run_with_the_runner(tmp_path):
    """Two iterations of each config; the fine-tune starts from the pre-trained encoder
    (converted on load), the scratch run from a random one."""
    pt = run_config(config_path(experiment.PRETRAIN), str(tmp_path / 'pt'),
                    {**TINY, **experiment._iters(2)})
    assert pt['checkpoint'].endswith('iter_2.pth')
    val = {**TINY, **experiment._iters(2), 'train_cfg.val_interval': 2,
           'val_dataloader.batch_size': 4, 'val_dataloader.dataset.num_samples': 4}
    ft = run_config(config_path(experiment.FINETUNE), str(tmp_path / 'ft'),
                    {**val, 'model.backbone.init_cfg.checkpoint': pt['checkpoint']})
    scratch = run_config(config_path(experiment.SCRATCH), str(tmp_path / 'scratch'), val)
    assert 'acc/top1' in ft['metrics'] and 'acc/top1' in scratch['metrics']
    enc = torch.load(pt['checkpoint'], map_location='cpu', weights_only=False)['state_dict']
    key = 'blocks.0.attn.qkv.weight'
    ft_init = torch.load(ft['checkpoint'], map_location='cpu', weights_only=False)['state_dict']
    # two fine-tuning steps at a warm-up lr move the encoder a little, not to a new init
    diff = (ft_init[f'backbone.{key}'] - enc[f'backbone.{key}']).abs().max()
    assert diff < 1e-2, diff


# part of the default suite: the README result this asserts must hold in CI
def test_pretraining_beats_scratch(tmp_path):
    """Pre-trained fine-tuning is clearly better than the same fine-tuning from a random
    init, at the budget below (README: measured numbers)."""
    res = experiment.main(['--work-dir', str(tmp_path)] + BUDGET)
    first, last = res['pretrain_loss']
    assert last < 0.8 * first, res  # the normalised-pixel loss falls (0.26 -> 0.19 measured)
    assert res['top1_pretrained'] > res['top1_scratch'] + MARGIN, res


# the configs' budget: with pre-training cut to 1000 iterations the gain was gone (README)
BUDGET = []
MARGIN = 10
