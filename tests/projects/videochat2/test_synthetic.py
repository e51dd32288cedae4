"""The tiny VideoChat2 through its three stages (mmengine Runner) on the synthetic world and
the tiny MVBench through the harness, via tools/experiments/videochat2_synthetic.py."""
import importlib.util
import os.path as osp

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))


def _experiment():
    spec = importlib.util.spec_from_file_location(
        'videochat2_synthetic', osp.join(REPO, 'tools', 'experiments', 'videochat2_synthetic.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_three_stages_quick(tmp_path):
    """Smallest budget: every stage trains from the previous one's checkpoint (the stage-3
    loss falls), and both MVBench runs score every question."""
    res = _experiment().main([
        '--work-dir', str(tmp_path), '--num-clips', '4', '--num-mvbench-train', '4',
        '--num-per-task', '2', '--stage1-epochs', '1', '--stage2-epochs', '1',
        '--stage3-epochs', '2'])
    first, last = res['stages']['stage3']['loss']
    assert last < first
    for board in res['mvbench'].values():
        assert 0 <= board['Avg'] <= 100 and len(board) == 11  # 10 tasks + Avg


def test_mcq_rows_are_the_evaluation_prompt(tmp_path):
    """The stage-3 multiple-choice rows, through the tiny stage-3 config's pipeline, are the
    harness's MVBench prompt up to `Best option:(` (options re-shuffled per load, the answer
    re-lettered), read at the evaluation's 16 frames; the model masks all but the answer."""
    import json
    import re

    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import projects.videochat2  # noqa: F401
    from mmvideofm.registry import DATASETS
    from projects.mvbench.generation import export_tiny_mvbench
    from projects.mvbench.prompts import build_template
    init_default_scope('mmvideofm')
    export_tiny_mvbench(str(tmp_path / 'mvb'), num_per_task=1, seed=1, size=32, num_frames=16,
                        tasks=['Moving Direction', 'Action Sequence'])
    rows = _experiment().mvbench_rows(str(tmp_path / 'mvb'), 'mvb')
    (tmp_path / 'rows.json').write_text(json.dumps(rows))
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'videochat2',
                                   'videochat2-tiny_stage3_synthetic-8x32.py'))
    ds = DATASETS.build(dict(type='InstructionDataset', ann_file=str(tmp_path / 'rows.json'),
                             data_prefix=dict(video=str(tmp_path)), media_type='video',
                             pipeline=cfg.mcq_pipeline))
    template = build_template()
    letters = set()
    for k in range(len(ds)):
        for _ in range(4):
            sample = ds[k]
            meta = sample['data_samples'].metainfo
            assert sample['inputs'].shape[2] == 16
            conv, turn = meta['conversation'], meta['qa'][0]
            cands = re.findall(r'^\([A-Z]\) (.*)$', turn['q'], re.M)
            question = re.search(r'Question: (.*)\nOptions:', turn['q']).group(1)
            prompt = template.build(question, cands)
            head, answer = conv.split('Best option:(')
            assert head + 'Best option:(' == prompt.text.replace('<VideoHere>', '')
            assert meta['instruction'] == prompt.qformer_instruction.strip()
            letter = answer[0]
            truth = rows[k]['QA'][0]['a'].split(') ', 1)[1]
            assert answer == f'{letter}) {truth}\n###' and cands[ord(letter) - 65] == truth
            letters.add(letter)
    assert len(letters) > 1
