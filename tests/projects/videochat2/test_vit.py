"""VideoChat2's UMT vision encoder against the official ``models/blip2/vit.py`` outputs."""
import pytest
import torch

from projects.videochat2.models import VideoChat2ViT

from .fixtures import DATA, IT_CASES, assert_close, load, manifest


def build_vit(case: str) -> VideoChat2ViT:
    ve = manifest()[case]['model_config']['vision_encoder']
    return VideoChat2ViT(
        arch=dict(patch_size=ve['patch_size'], embed_dim=ve['encoder_embed_dim'],
                  depth=ve['encoder_depth'], num_heads=ve['encoder_num_heads'], mlp_ratio=4.),
        encoder_depth=ve['encoder_depth'], return_index=ve['return_index'],
        img_size=ve['img_size'], num_frames=ve['num_frames']).eval()


@pytest.mark.parametrize('case', IT_CASES)
def test_vit_parity(case):
    vit = build_vit(case)
    sd = load(case, 'state_dict')
    prefix = 'vision_encoder.encoder.'
    vit.load_state_dict({k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)})
    assert len(vit.blocks) == 2 and not any('norm.' in k[:5] for k in vit.state_dict())
    io = load(case, 'io')
    video = io['video'] if 'video' in io else io['gen_video']
    grid = vit.patch_embed.grid_for(video.shape[1], *video.shape[3:])
    assert_close(vit.pos_table(grid), io['pos_embed_used'])
    assert_close(vit.pos_table((1, *grid[1:])), io['img_pos_embed'])
    with torch.no_grad():
        out = vit(video.permute(0, 2, 1, 3, 4))
        assert_close(out, io['vit.vision_encoder_out'].flatten(1, 2))
        if 'image' in io:
            out = vit(io['image'].permute(0, 2, 1, 3, 4))
            assert_close(out, io['image.vision_encoder_out'].flatten(1, 2))


def test_sinusoid_tables():
    """The constructor tables (224 px: 4 -> T in time), table2 (other sizes) and the
    notebook's regenerated 16-frame table all come from one resampled (4, 14, 14) table."""
    tables = torch.load(f'{DATA}/videochat2_sinusoid.pt', weights_only=True)
    from mmvideofm.models.layers import build_sinusoid_pos_embed, get_sinusoid_encoding_table

    def vc2(grid, dim, base_t=4):
        return build_sinusoid_pos_embed(grid, dim, (base_t, 14, 14))

    assert_close(vc2((4, 14, 14), 8), tables['vit_table_n784_d8_ckpt4_cur4'])
    assert_close(vc2((8, 14, 14), 8), tables['vit_table_n1568_d8_ckpt4_cur8'])
    assert_close(get_sinusoid_encoding_table(1568, 8), tables['vit_table_n1568_d8_ckptm1_cur8'])
    assert_close(vc2((8, 2, 2), 48), tables['vit_table2_n32_d48_cur8'])
    assert_close(vc2((1, 2, 2), 48, base_t=1), tables['vit_table2_n4_d48_img'])
    assert_close(vc2((16, 14, 14), 8), tables['nb_table_n3136_d8_cur16'])
    assert_close(vc2((16, 3, 3), 24), tables['nb_table_n144_d24_cur16_s48'])


def test_umt_l_layout():
    """UMT-L as VideoChat2 uses it: 23 blocks, no norm keys, nothing positional saved."""
    with torch.device('meta'):
        vit = VideoChat2ViT(arch='l', img_size=224, num_frames=4)
    keys = list(vit.state_dict())
    assert len(vit.blocks) == 23 and vit.embed_dim == 1024
    assert not [k for k in keys if not k.startswith(('blocks.', 'patch_embed.'))]
    with pytest.raises(ValueError, match='return_index'):
        VideoChat2ViT(arch=dict(patch_size=16, embed_dim=8, depth=2, num_heads=2, mlp_ratio=4.),
                      encoder_depth=2, return_index=-3, img_size=32)
