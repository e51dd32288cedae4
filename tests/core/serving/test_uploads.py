"""Upload validation: size, extension, decoding by the core reader, generated names, roots."""
from __future__ import annotations

import base64
import os
import os.path as osp
import re

import cv2
import numpy as np
import pytest

from mmvideofm.serving.uploads import UploadError, UploadPolicy, UploadStore


def _store(tmp_path, **policy) -> UploadStore:
    return UploadStore(str(tmp_path / 'work'), UploadPolicy(**policy))


def test_video_is_decoded_and_stored_under_a_generated_name(tmp_path, clip_mp4):
    store = _store(tmp_path)
    media = store.save_file(clip_mp4, '../../../etc/evil name.MP4')
    assert osp.dirname(media.path) == store.root
    assert re.fullmatch(r'[0-9a-f]{32}\.mp4', osp.basename(media.path))
    assert (media.kind, media.num_frames, media.height, media.width) == ('video', 8, 32, 32)
    assert media.original_name == 'evil name.MP4' and media.size == osp.getsize(clip_mp4)
    assert store.get(media.file_id).path == media.path
    store.delete(media)
    assert os.listdir(store.root) == []


def test_renamed_text_file_is_refused_and_not_kept(tmp_path):
    store = _store(tmp_path)
    with pytest.raises(UploadError, match=r"'notes.mp4' is not a readable video") as e:
        store.save_bytes(b'just some text, not a video\n' * 10, 'notes.mp4')
    assert e.value.status == 415
    assert os.listdir(store.root) == []


def test_extension_allowlist(tmp_path):
    with pytest.raises(UploadError, match=r"'x.txt' is not a supported file type.*\.mp4") as e:
        _store(tmp_path).save_bytes(b'hello', 'x.txt')
    assert e.value.status == 415
    with pytest.raises(UploadError, match='upload a video with one of'):
        _store(tmp_path).save_bytes(b'hello', 'x.png', kinds=('video',))


def test_size_limit(tmp_path, clip_mp4):
    size = osp.getsize(clip_mp4)
    store = _store(tmp_path, max_bytes=size - 1)
    with pytest.raises(UploadError, match=r"'clip.mp4' is too large: .* the limit is") as e:
        store.save_file(clip_mp4)
    assert e.value.status == 413
    with open(clip_mp4, 'rb') as f:  # a stream is cut off while copying
        with pytest.raises(UploadError, match='too large'):
            store.save_stream(f, 'clip.mp4')
    with pytest.raises(UploadError, match='too large'):  # checked before decoding base64
        store.save_base64('data:video/mp4;base64,' + 'A' * (2 * size))
    assert os.listdir(store.root) == []
    with pytest.raises(UploadError, match='is empty'):
        _store(tmp_path).save_bytes(b'', 'e.mp4')


def test_base64(tmp_path, clip_mp4):
    store = _store(tmp_path)
    data = base64.b64encode(open(clip_mp4, 'rb').read()).decode()
    assert store.save_base64('data:video/mp4;base64,' + data).path.endswith('.mp4')
    assert store.save_base64(data, 'a.mov').path.endswith('.mov')
    with pytest.raises(UploadError, match='known MIME type'):
        store.save_base64('data:text/plain;base64,' + data)
    with pytest.raises(UploadError, match='invalid base64'):
        store.save_base64('data:video/mp4;base64,@@@@')


def test_images(tmp_path):
    store = _store(tmp_path)
    png = cv2.imencode('.png', np.full((6, 5, 3), 200, np.uint8))[1].tobytes()
    media = store.save_bytes(png, 'a.png')
    assert (media.kind, media.height, media.width) == ('image', 6, 5)
    with pytest.raises(UploadError, match='not a readable image'):
        store.save_bytes(b'not a png', 'b.png')


def test_local_paths_only_under_allowed_roots(tmp_path, clip_mp4):
    root = tmp_path / 'videos'
    root.mkdir()
    inside = root / 'clip.mp4'
    inside.write_bytes(open(clip_mp4, 'rb').read())
    with pytest.raises(UploadError, match='--allowed-root') as e:
        _store(tmp_path).resolve_local(str(inside))
    assert e.value.status == 403
    store = _store(tmp_path, allowed_roots=[str(root)])
    media = store.resolve_local('file://' + str(inside))
    assert media.path == str(inside.resolve()) and not media.owned
    store.delete(media)
    assert inside.exists()  # never removed
    (root / 'escape.mp4').symlink_to(clip_mp4)  # a link out of the root
    for bad, status in [(clip_mp4, 403), (str(root / 'escape.mp4'), 403),
                        (str(root / '..' / 'x.mp4'), 403), ('clip.mp4', 400),
                        (str(root / 'missing.mp4'), 404)]:
        with pytest.raises(UploadError) as e:
            store.resolve_local(bad)
        assert e.value.status == status, bad


def test_unknown_file_ids(tmp_path):
    for bad in ['file-../../x', 'file-' + '0' * 32, 'nope']:
        with pytest.raises(UploadError, match='no uploaded file with id') as e:
            _store(tmp_path).get(bad)
        assert e.value.status == 404
