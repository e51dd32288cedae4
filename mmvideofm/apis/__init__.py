"""High-level APIs: build a model from a config, classify videos, extract features, chat."""
from .chat import ChatSession
from .inference import (
                        backbone_features,
                        build_test_pipeline,
                        extract_features,
                        extract_text_features,
                        get_class_names,
                        inference_recognizer,
                        init_model,
                        prepare_inputs,
                        topk_predictions,
)

__all__ = ['ChatSession', 'init_model', 'inference_recognizer', 'extract_features',
           'extract_text_features',
           'backbone_features', 'build_test_pipeline', 'prepare_inputs', 'get_class_names', 'topk_predictions']
