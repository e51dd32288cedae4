"""mmvideofm registries: children of mmaction2's, scope ``mmvideofm``.

Because they are children, mmaction2 / mmpretrain / mmengine types resolve inside
mmvideofm configs, and ``type='mmvideofm.X'`` resolves inside plain mmaction2 configs.
"""
from mmaction.registry import DATA_SAMPLERS as MMACTION_DATA_SAMPLERS
from mmaction.registry import DATASETS as MMACTION_DATASETS
from mmaction.registry import EVALUATOR as MMACTION_EVALUATOR
from mmaction.registry import FUNCTION as MMACTION_FUNCTION
from mmaction.registry import HOOKS as MMACTION_HOOKS
from mmaction.registry import LOG_PROCESSORS as MMACTION_LOG_PROCESSORS
from mmaction.registry import LOOPS as MMACTION_LOOPS
from mmaction.registry import METRICS as MMACTION_METRICS
from mmaction.registry import MODEL_WRAPPERS as MMACTION_MODEL_WRAPPERS
from mmaction.registry import MODELS as MMACTION_MODELS
from mmaction.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMACTION_OPTIM_WRAPPER_CONSTRUCTORS
from mmaction.registry import OPTIM_WRAPPERS as MMACTION_OPTIM_WRAPPERS
from mmaction.registry import OPTIMIZERS as MMACTION_OPTIMIZERS
from mmaction.registry import PARAM_SCHEDULERS as MMACTION_PARAM_SCHEDULERS
from mmaction.registry import RUNNERS as MMACTION_RUNNERS
from mmaction.registry import TASK_UTILS as MMACTION_TASK_UTILS
from mmaction.registry import TRANSFORMS as MMACTION_TRANSFORMS
from mmaction.registry import VISBACKENDS as MMACTION_VISBACKENDS
from mmaction.registry import VISUALIZERS as MMACTION_VISUALIZERS
from mmaction.registry import WEIGHT_INITIALIZERS as MMACTION_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

SCOPE = 'mmvideofm'


def _child(name: str, parent: Registry, locations: list[str]) -> Registry:
    return Registry(name, parent=parent, scope=SCOPE, locations=locations)


RUNNERS = _child('runner', MMACTION_RUNNERS, ['mmvideofm.engine'])
LOOPS = _child('loop', MMACTION_LOOPS, ['mmvideofm.engine', 'mmvideofm.evaluation'])
HOOKS = _child('hook', MMACTION_HOOKS, ['mmvideofm.engine', 'mmvideofm.datasets'])
DATASETS = _child('dataset', MMACTION_DATASETS, ['mmvideofm.datasets'])
DATA_SAMPLERS = _child('data sampler', MMACTION_DATA_SAMPLERS, ['mmvideofm.datasets'])
TRANSFORMS = _child('transform', MMACTION_TRANSFORMS, ['mmvideofm.datasets'])
MODELS = _child('model', MMACTION_MODELS, ['mmvideofm.models'])
MODEL_WRAPPERS = _child('model_wrapper', MMACTION_MODEL_WRAPPERS, ['mmvideofm.models'])
WEIGHT_INITIALIZERS = _child('weight initializer', MMACTION_WEIGHT_INITIALIZERS,
                             ['mmvideofm.models'])
OPTIMIZERS = _child('optimizer', MMACTION_OPTIMIZERS, ['mmvideofm.engine'])
OPTIM_WRAPPERS = _child('optim_wrapper', MMACTION_OPTIM_WRAPPERS, ['mmvideofm.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = _child('optimizer wrapper constructor',
                                    MMACTION_OPTIM_WRAPPER_CONSTRUCTORS, ['mmvideofm.engine'])
PARAM_SCHEDULERS = _child('parameter scheduler', MMACTION_PARAM_SCHEDULERS, ['mmvideofm.engine'])
METRICS = _child('metric', MMACTION_METRICS, ['mmvideofm.evaluation'])
EVALUATOR = _child('evaluator', MMACTION_EVALUATOR, ['mmvideofm.evaluation'])
TASK_UTILS = _child('task util', MMACTION_TASK_UTILS, ['mmvideofm.models'])
VISUALIZERS = _child('visualizer', MMACTION_VISUALIZERS, ['mmvideofm.engine'])
VISBACKENDS = _child('vis_backend', MMACTION_VISBACKENDS, ['mmvideofm.engine'])
LOG_PROCESSORS = _child('log_processor', MMACTION_LOG_PROCESSORS, ['mmvideofm.engine'])
FUNCTIONS = _child('function', MMACTION_FUNCTION, ['mmvideofm.datasets'])

# Registries of our own (no mmaction2 parent). Plugins populate them on import; the core never
# imports a plugin by name.
#: tokenizers: ``TOKENIZERS.build(dict(type='CLIPTokenizer' | 'BertTokenizer' | ..., ...))``
TOKENIZERS = Registry('tokenizer', scope=SCOPE, locations=['mmvideofm.models.text'])
#: checkpoint converters ``fn(state_dict) -> state_dict`` named ``<plugin>[/<variant>]``
CONVERTERS = Registry('converter', scope=SCOPE, locations=['mmvideofm.checkpoint'])
#: benchmarks ``fn(argv) -> dict`` named ``<plugin>/<name>`` (``tools/benchmark.py``)
BENCHMARKS = Registry('benchmark', scope=SCOPE, locations=['mmvideofm.engine'])
