"""The one video reader of mmvideofm, and the writers the exporters use.

``open_video(path, backend='auto')`` returns a :class:`VideoReader` with one
interface over three backends:

- ``'decord'``: the default for files (fast random access).
- ``'pyav'``: the fallback; ``'auto'`` uses it when decord is not installed,
  cannot open the file, or fails while decoding it.
- ``'frames'``: a folder of JPEG/PNG frames, sorted by file name. 1-based
  layouts such as ``00001.jpg`` work: ``get_frames`` always takes positional
  (0-based) indices, and ``reader.first_index`` / ``reader.filename_tmpl``
  tell how the files are numbered.

Frames come back as ``np.uint8`` arrays of shape ``(N, H, W, 3)`` in RGB order.
A missing, empty or corrupt input raises :class:`VideoReadError`, whose message
names the file and the reason.

``write_video`` encodes mp4 with PyAV. The default codec is ``libx264rgb`` at
``crf=0``: lossless RGB (High 4:4:4 profile), so the small, saturated colours
of the synthetic world survive a round trip exactly. Where that encoder is
missing it falls back to ``libx264`` (yuv444p, crf 0: within ~2 grey levels)
and then ``mpeg4`` (yuv420p, lossy chroma). Some desktop players cannot play
4:4:4 H.264; decord, PyAV and ffmpeg can.
"""
from __future__ import annotations

import os
import os.path as osp
import re
from collections.abc import Sequence
from fractions import Fraction

import numpy as np

__all__ = [
    'VideoReadError', 'VideoReader', 'DecordReader', 'PyAVReader', 'FrameFolderReader',
    'open_video', 'write_video', 'write_frames', 'available_video_codecs', 'FRAME_EXTENSIONS',
]

FRAME_EXTENSIONS = ('.jpg', '.jpeg', '.png')
BACKENDS = ('auto', 'decord', 'pyav', 'frames')


class VideoReadError(OSError, ValueError):
    """A video (file or frame folder) is missing, empty, corrupt or too short.

    Subclasses both ``OSError`` and ``ValueError`` so either ``except`` catches it.
    ``filename`` and ``reason`` are kept as attributes; ``hint`` (what to do about
    it, set by whoever knows the context, e.g. a dataset) is appended to the message.
    """

    def __init__(self, filename: str, reason: str, hint: str = '') -> None:
        super().__init__(f'cannot read video {filename!r}: {reason}')
        self.filename = str(filename)
        self.reason = reason
        self.hint = hint

    def __str__(self) -> str:
        return f'{self.args[0]}; {self.hint}' if self.hint else self.args[0]

    def __reduce__(self):  # picklable across DataLoader workers
        return (self.__class__, (self.filename, self.reason, self.hint))


class VideoReader:
    """Random access to the frames of one video. Use as a context manager."""

    backend: str = ''

    def __init__(self, path: str) -> None:
        self.path = str(path)

    def __len__(self) -> int:
        raise NotImplementedError

    @property
    def fps(self) -> float:
        """Average frames per second."""
        raise NotImplementedError

    def _read(self, indices: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def get_frames(self, indices: Sequence[int] | np.ndarray) -> np.ndarray:
        """Frames at 0-based ``indices`` as ``np.uint8`` ``(N, H, W, 3)`` RGB."""
        inds = np.asarray(indices, dtype=np.int64).reshape(-1)
        n = len(self)
        if inds.size and (inds.min() < 0 or inds.max() >= n):
            bad = inds[(inds < 0) | (inds >= n)]
            raise IndexError(f'frame indices {bad[:8].tolist()} out of range for {self.path!r} '
                             f'({n} frames)')
        frames = self._read(inds)
        return np.ascontiguousarray(frames, dtype=np.uint8)

    def close(self) -> None:
        pass

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}({self.path!r}, frames={len(self)}, fps={self.fps:.3g})'


def _check_file(path: str) -> None:
    if not osp.exists(path):
        raise VideoReadError(path, 'file does not exist')
    if osp.isdir(path):
        raise VideoReadError(path, "is a directory (use backend='frames' for frame folders)")
    if osp.getsize(path) == 0:
        raise VideoReadError(path, 'file is empty (0 bytes)')


def _short(exc: BaseException) -> str:
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ''
    return f'{type(exc).__name__}: {msg}'[:300]


class DecordReader(VideoReader):
    """decord backend. ``fallback=True`` switches to PyAV if decoding fails."""

    backend = 'decord'

    def __init__(self, path: str, num_threads: int = 1, fallback: bool = False) -> None:
        super().__init__(path)
        _check_file(self.path)
        try:
            import decord
        except ImportError as e:
            raise ImportError('decord is not installed: `pip install decord`, '
                              "or use open_video(..., backend='pyav')") from e
        try:
            self._vr = decord.VideoReader(self.path, num_threads=num_threads)
            self._len = len(self._vr)
            self._fps = float(self._vr.get_avg_fps())
        except Exception as e:  # decord raises its own DECORDError (a RuntimeError)
            raise VideoReadError(self.path, f'decord cannot open it ({_short(e)})') from e
        if self._len <= 0:
            raise VideoReadError(self.path, 'video has no frames')
        self.fallback = fallback
        self._pyav: PyAVReader | None = None

    def __len__(self) -> int:
        return self._len

    @property
    def fps(self) -> float:
        return self._fps

    def _read(self, indices: np.ndarray) -> np.ndarray:
        if self._pyav is not None:
            return self._pyav._read(indices)
        try:
            return self._vr.get_batch(indices.tolist()).asnumpy()
        except Exception as e:
            if not self.fallback:
                raise VideoReadError(self.path, f'decord failed to decode frames '
                                     f'({_short(e)})') from e
            self._pyav = PyAVReader(self.path)
            self.backend = 'pyav'
            return self._pyav._read(indices)

    def close(self) -> None:
        self._vr = None
        if self._pyav is not None:
            self._pyav.close()


class PyAVReader(VideoReader):
    """PyAV backend: decodes sequentially up to the last requested frame."""

    backend = 'pyav'

    def __init__(self, path: str) -> None:
        super().__init__(path)
        _check_file(self.path)
        import av
        try:
            with av.open(self.path) as container:
                if not container.streams.video:
                    raise VideoReadError(self.path, 'file has no video stream')
                stream = container.streams.video[0]
                rate = stream.average_rate or stream.guessed_rate
                self._fps = float(rate) if rate else 0.0
                n = int(stream.frames or 0)
                if n <= 0:  # container does not store a count: demux to count packets
                    n = sum(1 for p in container.demux(stream) if p.size > 0)
        except VideoReadError:
            raise
        except Exception as e:
            raise VideoReadError(self.path, f'PyAV cannot open it ({_short(e)})') from e
        if n <= 0:
            raise VideoReadError(self.path, 'video has no frames')
        self._len = n

    def __len__(self) -> int:
        return self._len

    @property
    def fps(self) -> float:
        return self._fps

    def _read(self, indices: np.ndarray) -> np.ndarray:
        import av
        if indices.size == 0:
            raise ValueError('get_frames needs at least one index')
        wanted = set(indices.tolist())
        last = max(wanted)
        got: dict[int, np.ndarray] = {}
        try:
            with av.open(self.path) as container:
                for i, frame in enumerate(container.decode(video=0)):
                    if i in wanted:
                        got[i] = frame.to_ndarray(format='rgb24')
                    if i >= last:
                        break
        except Exception as e:
            raise VideoReadError(self.path, f'PyAV failed to decode frames ({_short(e)})') from e
        missing = wanted - got.keys()
        if missing:
            raise VideoReadError(self.path, f'decoded only {len(got)} of the requested frames; '
                                 f'missing {sorted(missing)[:8]} (truncated file?)')
        return np.stack([got[i] for i in indices.tolist()])


_NUM_RE = re.compile(r'^(.*?)(\d+)(\.\w+)$')


class FrameFolderReader(VideoReader):
    """A folder of JPEG/PNG frames sorted by name (``00001.jpg``, ``img_00001.png``, ...).

    ``first_index`` is the number in the first file name (1 for ``00001.jpg``; 0
    when names carry no number) and ``filename_tmpl`` the detected naming, e.g.
    ``'img_{:05d}.jpg'`` (``None`` when the names do not follow one pattern).
    ``get_frames`` takes positional indices: position 0 is the first file.
    """

    backend = 'frames'

    def __init__(self, path: str, fps: float = 30.0) -> None:
        super().__init__(path)
        if not osp.exists(self.path):
            raise VideoReadError(self.path, 'frame folder does not exist')
        if not osp.isdir(self.path):
            raise VideoReadError(self.path, 'is not a directory of frames')
        files = [f for f in os.listdir(self.path) if f.lower().endswith(FRAME_EXTENSIONS)]
        if not files:
            raise VideoReadError(self.path, f'folder has no frame files {FRAME_EXTENSIONS}')
        self.files = sorted(files, key=self._sort_key)
        self._fps = float(fps)
        self.first_index, self.filename_tmpl = self._detect_naming(self.files)

    @staticmethod
    def _sort_key(name: str) -> tuple:
        m = _NUM_RE.match(name)
        return (m.group(1), int(m.group(2)), name) if m else (name, -1, name)

    @staticmethod
    def _detect_naming(files: list[str]) -> tuple[int, str | None]:
        m0 = _NUM_RE.match(files[0])
        if m0 is None:
            return 0, None
        prefix, digits, ext = m0.groups()
        first = int(digits)
        tmpl = prefix.replace('{', '{{').replace('}', '}}') + '{:0' + str(len(digits)) + 'd}' + ext
        if all(f == tmpl.format(first + i) for i, f in enumerate(files)):
            return first, tmpl
        return first, None

    def __len__(self) -> int:
        return len(self.files)

    @property
    def fps(self) -> float:
        return self._fps

    def _read(self, indices: np.ndarray) -> np.ndarray:
        import cv2
        out = []
        for i in indices.tolist():
            fname = osp.join(self.path, self.files[i])
            img = cv2.imread(fname, cv2.IMREAD_COLOR)
            if img is None:
                raise VideoReadError(fname, 'frame image is empty or corrupt')
            out.append(img[..., ::-1])  # BGR -> RGB
        return np.stack(out)


def open_video(path: str, backend: str = 'auto', **kwargs) -> VideoReader:
    """Open a video file or frame folder.

    Args:
        path: an mp4/avi/... file, or a folder of JPEG/PNG frames.
        backend: ``'auto'`` (folder -> frames; file -> decord, falling back to
            PyAV when decord is missing or fails), ``'decord'``, ``'pyav'`` or
            ``'frames'``.
        **kwargs: backend options (``num_threads`` for decord, ``fps`` for frames).

    Raises:
        VideoReadError: the input is missing, empty or corrupt.
    """
    path = str(path)
    if backend not in BACKENDS:
        raise ValueError(f'unknown video backend {backend!r}; choose from {BACKENDS}')
    if backend == 'frames' or (backend == 'auto' and osp.isdir(path)):
        return FrameFolderReader(path, **kwargs)
    if backend == 'decord':
        return DecordReader(path, **kwargs)
    if backend == 'pyav':
        return PyAVReader(path)
    # auto, file
    _check_file(path)
    try:
        return DecordReader(path, fallback=True, **kwargs)
    except (ImportError, VideoReadError) as e:
        decord_reason = e.reason if isinstance(e, VideoReadError) else 'decord not installed'
    try:
        return PyAVReader(path)
    except VideoReadError as e:
        raise VideoReadError(path, f'{decord_reason}; {e.reason}') from e


# --------------------------------------------------------------------------- writers
_CODEC_PREFERENCE = (
    # threads=1: tiny frames gain nothing from x264's frame threads
    ('libx264rgb', 'rgb24', {'crf': '0', 'preset': 'ultrafast', 'threads': '1'}),  # lossless
    ('libx264', 'yuv444p', {'crf': '0', 'preset': 'ultrafast', 'threads': '1'}),
    ('mpeg4', 'yuv420p', {'qscale': '1'}),                         # lossy fallback
)


def available_video_codecs() -> list[str]:
    """Encoders ``write_video`` can use here, best first."""
    import av
    have = av.codecs_available
    return [name for name, _, _ in _CODEC_PREFERENCE if name in have]


def write_video(path: str, frames: np.ndarray | Sequence[np.ndarray], fps: float = 8.0,
                codec: str = 'auto') -> str:
    """Encode ``frames`` (``(T, H, W, 3)`` uint8 RGB) to an mp4 file with PyAV.

    ``codec='auto'`` picks the first available of ``libx264rgb`` (lossless),
    ``libx264`` (yuv444p, crf 0) and ``mpeg4``. Odd sizes are fine for the 4:4:4
    codecs; ``mpeg4`` needs even ``H`` and ``W``. Returns ``path``.
    """
    import av
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.shape[0] == 0:
        raise ValueError(f'frames must be (T, H, W, 3) with T > 0, got {frames.shape}')
    if frames.dtype != np.uint8:
        raise ValueError(f'frames must be uint8, got {frames.dtype}')
    table = {name: (pix, opts) for name, pix, opts in _CODEC_PREFERENCE}
    if codec == 'auto':
        names = available_video_codecs()
        if not names:
            raise RuntimeError('PyAV has none of the encoders libx264rgb, libx264, mpeg4')
        codec = names[0]
    pix_fmt, options = table.get(codec, ('yuv420p', {}))
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    _, h, w, _ = frames.shape
    rate = Fraction(fps).limit_denominator(1001)
    with av.open(str(path), mode='w') as container:
        stream = container.add_stream(codec, rate=rate)
        stream.width, stream.height, stream.pix_fmt = w, h, pix_fmt
        stream.options = dict(options)
        for frame in frames:
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format='rgb24')
            for packet in stream.encode(vf):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return str(path)


def write_frames(folder: str, frames: np.ndarray | Sequence[np.ndarray],
                 filename_tmpl: str = '{:05d}.jpg', start_index: int = 1,
                 quality: int = 95) -> list[str]:
    """Write frames (``(T, H, W, 3)`` uint8 RGB) as ``folder/00001.jpg``, ... .

    The extension of ``filename_tmpl`` picks the format: ``.jpg`` (lossy,
    ``quality``, 4:4:4 chroma) or ``.png`` (lossless). Returns the written paths.
    """
    import cv2
    os.makedirs(folder, exist_ok=True)
    paths = []
    for i, frame in enumerate(np.asarray(frames)):
        p = osp.join(folder, filename_tmpl.format(start_index + i))
        params = []
        if p.lower().endswith(('.jpg', '.jpeg')):  # no chroma subsampling: small colours survive
            params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)]
            if hasattr(cv2, 'IMWRITE_JPEG_SAMPLING_FACTOR'):
                params += [cv2.IMWRITE_JPEG_SAMPLING_FACTOR, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444]
        if not cv2.imwrite(p, np.ascontiguousarray(frame[..., ::-1]), params):
            raise OSError(f'could not write frame {p!r}')
        paths.append(p)
    return paths
