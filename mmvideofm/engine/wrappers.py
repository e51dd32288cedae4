"""Model wrappers: DDP that also runs on CPU (gloo)."""
from mmengine.model import MMDistributedDataParallel
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS


# Registered in mmengine's root registry: ``Runner.wrap_model`` looks the wrapper up
# with ``MODEL_WRAPPERS.get(type)`` on the root, which (mmengine 0.10.7) does not
# search grandchild registries such as ours. The name shadows nothing.
@MMENGINE_MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` that drops ``device_ids`` for CPU modules.

    mmengine's runner always passes ``device_ids=[LOCAL_RANK]``, which torch's DDP
    rejects for CPU parameters; tools/train.py selects this wrapper when CUDA is absent.
    """

    def __init__(self, module, device_ids=None, **kwargs):
        on_cpu = all(p.device.type == 'cpu' for p in module.parameters())
        super().__init__(module=module, device_ids=None if on_cpu else device_ids, **kwargs)
