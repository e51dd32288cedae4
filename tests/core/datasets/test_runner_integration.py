"""A real mmengine Runner epoch over a list with bad videos: skips are reported per epoch."""
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner

from mmvideofm.datasets.synthetic import SyntheticWorld, WorldConfig
from mmvideofm.datasets.video_io import write_video


class TinyClassifier(BaseModel):
    def __init__(self):
        super().__init__(data_preprocessor=dict(type='mmaction.ActionDataPreprocessor',
                                                format_shape='NCTHW'))
        self.fc = torch.nn.Linear(3, 9)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        feats = inputs.float().mean(dim=(1, 3, 4, 5))  # (B, C)
        logits = self.fc(feats)
        if mode == 'loss':
            labels = torch.cat([s.gt_label for s in data_samples])
            return dict(loss=torch.nn.functional.cross_entropy(logits, labels))
        return logits


def test_runner_epoch_reports_bad_samples(tmp_path):
    world = SyntheticWorld(WorldConfig(num_frames=8, size=16), seed=0, split='train')
    lines = []
    for i in range(6):
        clip = world.sample(i, 'direction')
        write_video(str(tmp_path / f'{i}.mp4'), clip.frames)
        lines.append(f'{i}.mp4 {clip.labels["direction"]}')
    (tmp_path / '2.mp4').write_bytes(b'corrupt' * 10)
    (tmp_path / 'train.txt').write_text('\n'.join(lines) + '\n')
    runner = Runner(
        model=TinyClassifier(),
        work_dir=str(tmp_path / 'work'),
        train_dataloader=dict(
            batch_size=3, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dict(type='VideoListDataset', ann_file='train.txt', data_root=str(tmp_path),
                         skip_bad_samples=True,
                         pipeline=[dict(type='VideoInit'),
                                   dict(type='VideoSampleFrames', clip_len=4),
                                   dict(type='VideoDecode'),
                                   dict(type='mmaction.FormatShape', input_format='NCTHW'),
                                   dict(type='mmaction.PackActionInputs')])),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        custom_hooks=[dict(type='BadSampleReportHook')],
        default_hooks=dict(checkpoint=None),
        default_scope='mmvideofm',
    )
    runner.train()
    assert runner.message_hub.get_info('bad_samples/train') == 1
    assert runner.train_dataloader.dataset.num_skipped == 1
    files = [h.baseFilename for h in runner.logger.handlers if hasattr(h, 'baseFilename')]
    assert files, 'the runner should log to a file in work_dir'
    log = open(files[0]).read()
    assert 'skip_bad_samples: skipped sample 2' in log and '2.mp4' in log
    assert '1 bad sample(s) skipped in this train epoch' in log
