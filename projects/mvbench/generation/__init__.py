"""Static-to-dynamic MCQ generation and the synthetic tiny MVBench."""
from .mcq import MCQGenerator, MCQTaskSpec, balanced_positions, write_mvbench_jsons  # noqa: F401
from .synthetic import (  # noqa: F401
                        ADAPTERS,
                        TASK_SPECS,
                        SyntheticColourMatcher,
                        export_tiny_mvbench,
                        make_annotations,
)
