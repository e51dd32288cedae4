"""InternVid's curation pipeline: raw videos -> scene clips -> multi-scale captions -> scores
-> FLT / DIV subsets -> jsonl + webdataset shards (``tools/data/internvid/curate.py``).

Stages are registered (``CURATION_STAGES``) and built from their own config dicts:
``SceneSplit``, ``MultiScaleCaptions`` (``OracleCaptioner`` / ``TransformersCaptioner``),
``VideoTextScore``, ``AestheticScore``, ``CLIPScore``; subsets are registered samplers
(``SUBSET_SAMPLERS``: ``div``, ``flt``, ``random``, ``aesthetic``). ``CurationPipeline`` runs
them per video, resumably, on a process pool or Ray.
"""
from .base import (
                   CAPTION_BACKENDS,
                   CURATION_STAGES,
                   CurationError,
                   CurationStage,
                   format_timestamp,
                   parse_timestamp,
)
from .captioning import MultiScaleCaptions, OracleCaptioner, TransformersCaptioner
from .cutting import clip_bytes, cut_clip
from .output import OFFICIAL_FIELDS, read_jsonl, write_jsonl, write_shards
from .pipeline import CurationPipeline, list_videos, move_data_root
from .scene_split import SceneSplit, detect_scenes
from .scoring import (
                   AestheticScore,
                   CLIPScore,
                   LaionAestheticMLP,
                   VideoTextScore,
                   convert_laion_aesthetic,
)
from .subsets import (
                   SUBSET_SAMPLERS,
                   aesthetic_subset,
                   div_sample,
                   div_weights,
                   flt_subset,
                   random_subset,
)

__all__ = [
    'CURATION_STAGES', 'CAPTION_BACKENDS', 'SUBSET_SAMPLERS', 'CurationStage', 'CurationError',
    'CurationPipeline', 'SceneSplit', 'MultiScaleCaptions', 'OracleCaptioner',
    'TransformersCaptioner', 'VideoTextScore', 'AestheticScore', 'CLIPScore',
    'LaionAestheticMLP', 'convert_laion_aesthetic', 'detect_scenes', 'cut_clip', 'clip_bytes',
    'write_jsonl', 'write_shards', 'read_jsonl', 'OFFICIAL_FIELDS', 'list_videos',
    'format_timestamp', 'parse_timestamp', 'div_sample', 'div_weights', 'flt_subset',
    'random_subset', 'aesthetic_subset', 'move_data_root',
]
