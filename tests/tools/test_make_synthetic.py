"""tools/data/make_synthetic.py into a folder that already holds an export (issue #10.14)."""
import os
import os.path as osp

import pytest

from tools.data.make_synthetic import main

SMALL = ['--task', 'direction', '--frames', '8', '--size', '16', '--no-progress']


def listing(root: str) -> dict[str, float]:
    """Every file under ``root`` (relative path -> mtime)."""
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = osp.join(d, f)
            out[osp.relpath(p, root)] = os.stat(p).st_mtime_ns
    return out


def test_refuses_an_existing_export_and_overwrite_leaves_no_stale_clips(tmp_path, capsys):
    out = str(tmp_path / 'direction')
    main(['--out', out, '--num-train', '5', '--num-val', '2', '--num-test', '2', *SMALL])
    (tmp_path / 'direction' / 'NOTES.md').write_text('mine')  # not the exporter's: kept
    before = listing(out)
    assert len([f for f in before if f.startswith('train/')]) == 5

    # the same command again, smaller: refused, nothing touched, the fix named
    smaller = ['--out', out, '--num-train', '3', '--num-val', '0', '--num-test', '1', *SMALL]
    with pytest.raises(SystemExit) as ei:
        main(smaller)
    msg = str(ei.value)
    assert out in msg and '--overwrite' in msg and 'train.txt' in msg
    assert listing(out) == before

    # --overwrite: exactly the new export, no clip or list of the old one left
    main([*smaller, '--overwrite'])
    after = listing(out)
    assert sorted(f for f in after if '/' in f) == [
        'test/000000.mp4', 'train/000000.mp4', 'train/000001.mp4', 'train/000002.mp4']
    assert sorted(f for f in after if '/' not in f) == [
        'NOTES.md', 'classes.txt', 'meta.json', 'test.json', 'test.txt', 'train.json',
        'train.txt']
    assert len(open(osp.join(out, 'train.txt')).read().splitlines()) == 3
    assert (tmp_path / 'direction' / 'NOTES.md').read_text() == 'mine'


def test_an_existing_folder_without_an_export_is_fine(tmp_path):
    out = tmp_path / 'fresh'
    out.mkdir()
    (out / 'README').write_text('x')
    main(['--out', str(out), '--num-train', '1', '--num-val', '0', '--num-test', '0', *SMALL])
    assert (out / 'train.txt').read_text().startswith('train/000000.mp4 ')
