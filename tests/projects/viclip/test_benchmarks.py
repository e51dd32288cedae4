"""viclip benchmarks: complexity of the presets and the side-by-side forward (with a stand-in
for the official viclip_vision.py, which cannot live in this repository)."""
import projects.viclip  # noqa: F401
from mmvideofm.engine.benchmark import get_benchmark

# the official module's interface (VisionTransformer(input_resolution, patch_size, width,
# layers, heads, output_dim, kernel_size, num_frames, drop_path), official state-dict keys)
STANDIN = '''
from mmvideofm.models.backbones import CLIPVideoViT


class VisionTransformer(CLIPVideoViT):
    def __init__(self, input_resolution, patch_size, width, layers, heads, output_dim=None,
                 kernel_size=1, num_frames=8, drop_path=0., checkpoint_num=0, dropout=0.):
        assert kernel_size == 1
        super().__init__(arch=None, input_resolution=input_resolution, patch_size=patch_size,
                         width=width, layers=layers, heads=heads, output_dim=output_dim,
                         num_frames=num_frames, drop_path_rate=drop_path)
'''


def test_complexity_of_the_presets():
    out = get_benchmark('viclip/complexity')(['--arch', 'b'])
    assert out['params_m'] == 149.6 and out['vision_params_m'] == 86.2
    assert out['vision_gflops'] > 10 * out['vision_gflops_masked_0_9'] > 0


def test_forward_side_by_side(tmp_path):
    folder = tmp_path / 'Data' / 'InternVid' / 'viclip'
    folder.mkdir(parents=True)
    (folder / 'viclip_vision.py').write_text(STANDIN)
    out = get_benchmark('viclip/forward')(['--arch', 't', '--img-size', '32', '--frames', '4',
                                           '--iters', '2', '--warmup', '0',
                                           '--official-root', str(tmp_path), '--device', 'cpu'])
    assert out['max_abs_diff'] == 0.0
    assert out['speedup_vs_official']['median'] > 0 and out['ours_seconds'] > 0
