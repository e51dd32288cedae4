"""MVBench (arXiv 2311.17005): the 20-task benchmark, its MCQ generator and a faithful
evaluation harness usable with any registered video-LLM.

Importing this package registers ``MVBenchDataset``, its transforms, ``MVBenchMetric``,
``MVBenchQA`` and the baselines in the mmvideofm registries.
"""
from . import generation  # noqa: F401,E402  (registers SyntheticColourMatcher)
from .dataset import (  # noqa: F401
                      CLIP_MEAN,
                      CLIP_STD,
                      MVBenchDataset,
                      MVBenchFormatFrames,
                      MVBenchLoadFrames,
                      PackMVBenchInputs,
                      load_task_json,
)
from .harness import evaluate_mvbench, merge_predictions, read_predictions  # noqa: F401,E402
from .metric import MVBenchMetric, score_record, summarize  # noqa: F401
from .models import (  # noqa: F401
                      FrameAblation,
                      MVBenchAnswerer,
                      MVBenchConstant,
                      MVBenchOracle,
                      MVBenchQA,
                      MVBenchRandomChoice,
)
from .prompts import SYSTEM, MVBenchPrompt, PromptTemplate, build_template, qa_template  # noqa: F401
from .sampling import get_index, get_index_demo, reader_params  # noqa: F401
from .scoring import (  # noqa: F401
                      answer_text,
                      check_ans,
                      check_ans_strict,
                      make_pred,
                      parse_option_strict,
                      strip_leading_special_ids,
)
from .tasks import PUBLISHED_RESULTS, TASK_NAMES, TASKS, MVBenchTask, get_task  # noqa: F401
