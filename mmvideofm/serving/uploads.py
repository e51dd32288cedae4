"""Validation and storage of the videos and images the chat front ends receive.

One :class:`UploadStore` per app (web UI or server) keeps accepted files under
``<work_dir>/uploads/`` with generated names. A file is accepted only if its size is under the
limit, its extension is on the allowlist and the core reader
(:func:`mmvideofm.datasets.video_io.open_video`) actually decodes it (first and last frame), so a
renamed text file or an unsupported codec is refused before a model sees it. Client file names
are used only for their extension; client paths are never opened, except through
:meth:`UploadStore.resolve_local`, which accepts a path only under an allowed root.
Every refusal is an :class:`UploadError` whose message says what is wrong and what to do, and
whose ``status`` is the HTTP code a server should answer with.
"""
from __future__ import annotations

import base64
import binascii
import os
import os.path as osp
import re
import shutil
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO, Literal

from mmvideofm.datasets.video_io import VideoReadError, open_video

__all__ = ['UploadError', 'UploadPolicy', 'StoredMedia', 'UploadStore', 'VIDEO_EXTENSIONS',
           'IMAGE_EXTENSIONS', 'format_bytes']

VIDEO_EXTENSIONS = ('.mp4', '.m4v', '.mov', '.avi', '.mkv', '.webm')
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp')
MediaKind = Literal['video', 'image']
_FILE_ID = re.compile(r'^file-([0-9a-f]{32})$')
_DATA_URL = re.compile(r'^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?:;[\w=.+-]+)*;base64,', re.I)
_MIME_EXT = {'video/mp4': '.mp4', 'video/quicktime': '.mov', 'video/x-msvideo': '.avi',
             'video/x-matroska': '.mkv', 'video/webm': '.webm', 'image/jpeg': '.jpg',
             'image/png': '.png', 'image/bmp': '.bmp', 'image/webp': '.webp'}


class UploadError(ValueError):
    """A refused upload or path; ``status`` is the HTTP status a server answers with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def format_bytes(n: float) -> str:
    """``1536`` -> ``'1.5 KB'`` (powers of 1024)."""
    for unit in ('bytes', 'KB', 'MB', 'GB'):
        if n < 1024 or unit == 'GB':
            return f'{int(n)} bytes' if unit == 'bytes' else f'{n:.1f} {unit}'
        n /= 1024
    return f'{n:.1f} GB'  # pragma: no cover


@dataclass
class UploadPolicy:
    """What an upload may be: size limit, extension allowlists, allowed local roots."""

    max_bytes: int = 200 * 1024 * 1024
    video_extensions: Sequence[str] = VIDEO_EXTENSIONS
    image_extensions: Sequence[str] = IMAGE_EXTENSIONS
    allowed_roots: Sequence[str] = field(default_factory=tuple)

    def kind_of(self, name: str, kinds: Iterable[MediaKind] = ('video', 'image')) -> MediaKind:
        """``'video'`` or ``'image'`` from the file name's extension (one of ``kinds``), or
        :class:`UploadError` (HTTP 415)."""
        ext = osp.splitext(str(name))[1].lower()
        kinds = tuple(kinds)
        table = {'video': self.video_extensions, 'image': self.image_extensions}
        for kind in kinds:
            if ext in table[kind]:
                return kind
        allowed = ' '.join(sorted(e for k in kinds for e in table[k]))
        shown = osp.basename(str(name)) or '(no name)'
        raise UploadError(f'{shown!r} is not a supported file type ({ext or "no extension"}); '
                          f'upload a {" or ".join(kinds)} with one of: {allowed}', status=415)

    def check_size(self, size: int, name: str) -> None:
        """Refuse ``size`` bytes above ``max_bytes`` (HTTP 413)."""
        if size > self.max_bytes:
            raise UploadError(f'{osp.basename(str(name))!r} is too large: {format_bytes(size)}, '
                              f'the limit is {format_bytes(self.max_bytes)} (trim or re-encode the '
                              f'video, or raise the limit with --max-upload-mb)', status=413)
        if size == 0:
            raise UploadError(f'{osp.basename(str(name))!r} is empty (0 bytes)')


@dataclass(frozen=True)
class StoredMedia:
    """An accepted file: where it is stored and what the reader found in it."""

    path: str
    kind: MediaKind
    original_name: str
    size: int
    num_frames: int = 1
    fps: float = 0.0
    height: int = 0
    width: int = 0
    owned: bool = True  # False for a local path under an allowed root (never deleted)

    @property
    def file_id(self) -> str:
        """``file-<hex>``, the id the server hands out for a stored upload."""
        return 'file-' + osp.splitext(osp.basename(self.path))[0]


def probe_media(path: str, kind: MediaKind, shown_name: str) -> dict:
    """Open ``path`` with the core reader and decode its first and last frame (videos) or the
    image; returns ``num_frames, fps, height, width`` or raises :class:`UploadError`."""
    if kind == 'image':
        import cv2
        img = cv2.imread(path, cv2.IMREAD_COLOR)
        if img is None:
            raise UploadError(f'{shown_name!r} is not a readable image (corrupt, or not the '
                              f'format its extension says)', status=415)
        return dict(num_frames=1, fps=0.0, height=img.shape[0], width=img.shape[1])
    try:
        with open_video(path) as reader:
            n = len(reader)
            frames = reader.get_frames(sorted({0, n - 1}))
            fps = reader.fps
    except (VideoReadError, IndexError) as e:
        reason = getattr(e, 'reason', str(e)).replace(path, shown_name)  # no server paths
        raise UploadError(f'{shown_name!r} is not a readable video: {reason}. Upload a video '
                          f'file (e.g. H.264 mp4) that ffmpeg can decode', status=415) from e
    return dict(num_frames=n, fps=float(fps), height=int(frames.shape[1]),
                width=int(frames.shape[2]))


class UploadStore:
    """Accepted uploads under ``<work_dir>/uploads`` with generated names."""

    def __init__(self, work_dir: str, policy: UploadPolicy | None = None) -> None:
        self.policy = policy or UploadPolicy()
        self.root = osp.realpath(osp.join(work_dir, 'uploads'))
        os.makedirs(self.root, exist_ok=True)
        self._roots = [osp.realpath(r) for r in self.policy.allowed_roots]

    # -- saving ---------------------------------------------------------------------------
    def save_stream(self, fileobj: BinaryIO, filename: str,
                    kinds: Iterable[MediaKind] = ('video', 'image')) -> StoredMedia:
        """Copy a client's file (checked for type, size, then decoded) into the store."""
        shown = osp.basename(str(filename)) or 'upload'
        kind = self.policy.kind_of(shown, kinds)
        ext = osp.splitext(shown)[1].lower()
        path = osp.join(self.root, uuid.uuid4().hex + ext)
        size = 0
        try:
            with open(path + '.part', 'wb') as out:
                while chunk := fileobj.read(1 << 20):
                    size += len(chunk)
                    self.policy.check_size(size, shown)  # stop copying as soon as it is too big
                    out.write(chunk)
            self.policy.check_size(size, shown)
            info = probe_media(path + '.part', kind, shown)
            os.replace(path + '.part', path)
        except BaseException:
            for p in (path + '.part', path):
                if osp.exists(p):
                    os.remove(p)
            raise
        return StoredMedia(path=path, kind=kind, original_name=shown, size=size, **info)

    def save_file(self, src: str, filename: str | None = None,
                  kinds: Iterable[MediaKind] = ('video', 'image')) -> StoredMedia:
        """Store a copy of a server-side temporary file (e.g. Gradio's upload cache);
        ``filename`` is the client's name (only its extension is used)."""
        name = filename or osp.basename(src)
        self.policy.check_size(osp.getsize(src), name)  # before copying anything
        with open(src, 'rb') as f:
            return self.save_stream(f, name, kinds)

    def save_bytes(self, data: bytes, filename: str,
                   kinds: Iterable[MediaKind] = ('video', 'image')) -> StoredMedia:
        """Store bytes received in a request."""
        import io
        self.policy.check_size(len(data), filename)
        return self.save_stream(io.BytesIO(data), filename, kinds)

    def save_base64(self, data: str, filename: str | None = None,
                    kinds: Iterable[MediaKind] = ('video', 'image')) -> StoredMedia:
        """Store a ``data:video/mp4;base64,...`` URL or bare base64 (then ``filename`` or the
        URL's MIME type gives the extension)."""
        m = _DATA_URL.match(data)
        payload = data[m.end():] if m else data
        if filename is None:
            mime = (m.group('mime') or '').lower() if m else ''
            if mime not in _MIME_EXT:
                raise UploadError(f'base64 data needs a data URL with a known MIME type '
                                  f'(data:video/mp4;base64,...), got '
                                  f'{(mime or data[:30])!r}; known: {", ".join(_MIME_EXT)}',
                                  status=415)
            filename = 'upload' + _MIME_EXT[mime]
        # 4 base64 characters carry 3 bytes: refuse an oversize payload before decoding it
        self.policy.check_size(len(payload) * 3 // 4, filename)
        try:
            raw = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError) as e:
            raise UploadError(f'invalid base64 data for {filename!r}: {e}') from e
        return self.save_bytes(raw, filename, kinds)

    # -- lookup ---------------------------------------------------------------------------
    def get(self, file_id: str) -> StoredMedia:
        """A stored upload by its ``file-<hex>`` id (HTTP 404 when unknown)."""
        m = _FILE_ID.match(str(file_id))
        hits = [f for f in os.listdir(self.root) if m and osp.splitext(f)[0] == m.group(1)]
        if not hits:
            raise UploadError(f'no uploaded file with id {str(file_id)[:60]!r} (ids look like '
                              f'file-<32 hex digits>, as POST /v1/files returns)', status=404)
        path = osp.join(self.root, hits[0])
        kind = self.policy.kind_of(path)
        return StoredMedia(path=path, kind=kind, original_name=hits[0], size=osp.getsize(path),
                           **probe_media(path, kind, hits[0]))

    def delete(self, media: StoredMedia) -> None:
        """Remove a stored upload (a local file under an allowed root is never removed)."""
        if media.owned and osp.dirname(osp.realpath(media.path)) == self.root \
                and osp.exists(media.path):
            os.remove(media.path)

    def resolve_local(self, path: str, kinds: Iterable[MediaKind] = ('video', 'image')
                      ) -> StoredMedia:
        """A file on the server named by the client, accepted only under an allowed root
        (symlinks resolved first); it is read in place, not copied."""
        raw = str(path)
        if raw.startswith('file://'):
            raw = raw[len('file://'):]
        if not self._roots:
            raise UploadError('local video paths are disabled on this server; send the video as '
                              'base64 or upload it, or start the server with --allowed-root DIR',
                              status=403)
        if not osp.isabs(raw):
            raise UploadError(f'local path {raw[:200]!r} must be absolute', status=400)
        real = osp.realpath(raw)
        if not any(osp.commonpath([real, root]) == root for root in self._roots):
            raise UploadError(f'local path {raw[:200]!r} is outside the allowed roots '
                              f'({", ".join(self._roots)})', status=403)
        if not osp.isfile(real):
            raise UploadError(f'local path {raw[:200]!r} does not exist or is not a file',
                              status=404)
        return self.open_trusted(real, kinds)

    def open_trusted(self, path: str, kinds: Iterable[MediaKind] = ('video', 'image')
                     ) -> StoredMedia:
        """A file the app itself chose (a sample): checked and decoded, read in place."""
        real = osp.realpath(path)
        shown = osp.basename(real)
        kind = self.policy.kind_of(shown, kinds)
        size = osp.getsize(real)
        self.policy.check_size(size, shown)
        return StoredMedia(path=real, kind=kind, original_name=shown, size=size, owned=False,
                           **probe_media(real, kind, shown))

    def clear(self) -> None:
        """Remove every stored upload."""
        shutil.rmtree(self.root, ignore_errors=True)
        os.makedirs(self.root, exist_ok=True)

