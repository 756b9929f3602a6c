"""Random access to the frames of a user's video, whatever its form.

:func:`open_video` accepts what :class:`~rvos_plugin.apis.RVOSInferencer`
accepts: a video file decord reads (mp4, avi, mkv, webm, ...), a folder of
frame images, a single image file, a list of RGB arrays or a (T, H, W, 3)
array. Frames are decoded on demand (:meth:`VideoSource.read`), so a long
video is never held in memory at once.
"""
import os
import os.path as osp
from typing import List, Sequence, Union

import numpy as np

from rvos_plugin.datasets.transforms.loading import (RVOSDataError,
                                                     read_frame,
                                                     read_video_frames)

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif',
                    '.tiff')
VideoInput = Union[str, os.PathLike, np.ndarray, Sequence[np.ndarray]]


class VideoSource:
    """Frames of one video, read by index.

    Attributes:
        name (str): Video id used in outputs (file stem, folder name or
            ``'video'`` for arrays).
        frame_names (list[str]): One name per frame (the file stems of a
            frame folder, ``00000``, ``00001``, ... otherwise).
        fps (float): Frames per second (the file's; 25 for folders and
            arrays unless given).
        shape (tuple): (H, W) of every frame.
    """

    def __init__(self, name: str, frame_names: List[str], fps: float,
                 shape: tuple):
        self.name = name
        self.frame_names = frame_names
        self.fps = fps
        self.shape = tuple(shape)

    def __len__(self) -> int:
        return len(self.frame_names)

    def read(self, inds: Sequence[int]) -> List[np.ndarray]:
        """RGB uint8 frames (H, W, 3) at ``inds``."""
        raise NotImplementedError

    def _check_size(self, frames: List[np.ndarray], inds: Sequence[int],
                    where: str) -> List[np.ndarray]:
        for i, frame in zip(inds, frames):
            if frame.shape[:2] != self.shape:
                raise RVOSDataError(
                    f'{where}: frame {self.frame_names[i]!r} has size '
                    f'{frame.shape[:2]}, the first frame {self.shape}; all '
                    'frames of a video must have the same size (resize them '
                    'or re-export the video).')
        return frames


class FileVideoSource(VideoSource):
    """A video file read through decord."""

    def __init__(self, path: str, fps: float = None):
        import decord
        try:
            reader = decord.VideoReader(path, num_threads=1)
            num = len(reader)
            first = reader[0].asnumpy() if num else None
        except Exception as e:  # decord raises DECORDError / RuntimeError
            raise RVOSDataError(
                f'Cannot decode the video {path!r} ({e}); re-encode it (e.g. '
                '`ffmpeg -i IN -c:v libx264 OUT.mp4`) or pass a folder of '
                'frames.') from e
        if not num:
            raise RVOSDataError(f'The video {path!r} has no frames.')
        super().__init__(
            osp.splitext(osp.basename(path))[0],
            [f'{i:05d}' for i in range(num)],
            fps or float(reader.get_avg_fps() or 25.0), first.shape[:2])
        self.path = path
        del reader

    def read(self, inds: Sequence[int]) -> List[np.ndarray]:
        frames = read_video_frames(self.path, list(inds), len(self))
        return self._check_size(frames, inds, self.path)


class FolderVideoSource(VideoSource):
    """A folder of frame images, in file-name order."""

    def __init__(self, folder: str, fps: float = None):
        files = sorted(f for f in os.listdir(folder)
                       if f.lower().endswith(IMAGE_EXTENSIONS))
        if not files:
            raise RVOSDataError(
                f'The folder {folder!r} holds no frame images '
                f'({", ".join(IMAGE_EXTENSIONS)}); pass a folder of frames '
                'or a video file.')
        self.paths = [osp.join(folder, f) for f in files]
        first = read_frame(self.paths[0])
        super().__init__(
            osp.basename(osp.normpath(folder)),
            [osp.splitext(f)[0] for f in files], fps or 25.0,
            first.shape[:2])

    def read(self, inds: Sequence[int]) -> List[np.ndarray]:
        frames = [read_frame(self.paths[i]) for i in inds]
        return self._check_size(frames, inds, osp.dirname(self.paths[0]))


class ArrayVideoSource(VideoSource):
    """Frames already in memory (RGB uint8 arrays)."""

    def __init__(self, frames: Sequence[np.ndarray], name: str = 'video',
                 fps: float = None):
        frames = list(frames)
        if not frames:
            raise ValueError('The list of frames is empty.')
        for i, frame in enumerate(frames):
            if (not isinstance(frame, np.ndarray) or frame.ndim != 3
                    or frame.shape[2] != 3):
                raise ValueError(
                    f'Frame {i} is {type(frame).__name__} of shape '
                    f'{getattr(frame, "shape", None)}; expected an RGB '
                    'array (H, W, 3).')
        self.frames = [np.ascontiguousarray(f, dtype=np.uint8)
                       for f in frames]
        super().__init__(name, [f'{i:05d}' for i in range(len(frames))],
                         fps or 25.0, frames[0].shape[:2])
        self._check_size(self.frames, range(len(frames)), 'frame list')

    def read(self, inds: Sequence[int]) -> List[np.ndarray]:
        return [self.frames[i] for i in inds]


def open_video(video: VideoInput, fps: float = None) -> VideoSource:
    """Open a video of any supported form.

    Args:
        video: Path of a video file (any container decord reads), of a folder
            of frames or of one image; a list of RGB uint8 arrays (H, W, 3);
            or one array (T, H, W, 3).
        fps (float, optional): Override the frame rate (used for output
            videos).

    Returns:
        VideoSource: Lazy frame reader.
    """
    if isinstance(video, VideoSource):
        return video
    if isinstance(video, np.ndarray):
        if video.ndim == 3:
            video = video[None]
        if video.ndim != 4:
            raise ValueError(f'A video array must be (T, H, W, 3), got '
                             f'{video.shape}.')
        return ArrayVideoSource(list(video), fps=fps)
    if isinstance(video, (list, tuple)):
        return ArrayVideoSource(video, fps=fps)
    path = os.fspath(video)
    if osp.isdir(path):
        return FolderVideoSource(path, fps)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'No video, frame folder or image at {path!r}; check the path.')
    if path.lower().endswith(IMAGE_EXTENSIONS):
        source = ArrayVideoSource(
            [read_frame(path)], osp.splitext(osp.basename(path))[0], fps)
        source.frame_names = [osp.splitext(osp.basename(path))[0]]
        return source
    return FileVideoSource(path, fps)
