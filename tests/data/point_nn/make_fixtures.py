"""Shrink the shared Point-NN parity fixtures into the tensors the tests use.

    python tests/data/point_nn/make_fixtures.py SHARED_PARITY_DIR

SHARED_PARITY_DIR is the folder of the official-code fixtures (see README.md).
Only slicing and dtype narrowing of integer indices happen here; no value changes.
"""
import os
import sys

import torch


def main(src: str, dst: str) -> None:
    def load(name):
        return torch.load(os.path.join(src, name), weights_only=True)

    def save(obj, name):
        torch.save(obj, os.path.join(dst, name))

    b16 = load('nn_cls_b16.pt')
    out = {k: b16[k] for k in ('xyz', 'global_feature', 'args_points_stages_dim_k_alpha_beta')}
    out['raw_embed_c0'] = b16['raw_embed'][0].clone()
    for s in range(1, 5):
        out[f'fps_idx_s{s}'] = b16[f'fps_idx_s{s}'].short()
        out[f'std_x_xyz_s{s}'] = b16[f'std_x_xyz_s{s}']
        out[f'lc_xyz_s{s}_c0'] = b16[f'lc_xyz_s{s}'][0].clone()
        out[f'knn_idx_s{s}_c0'] = b16[f'knn_idx_s{s}'][0].short()
        out[f'pooled_s{s}_c0'] = b16[f'pooled_s{s}'][0].clone()
    b4 = load('nn_cls_b4.pt')
    out['b4_global_feature'] = b4['global_feature']
    for s in range(1, 5):
        out[f'b4_std_x_xyz_s{s}'] = b4[f'std_x_xyz_s{s}']
    save(out, 'nn_cls.pt')

    sk = load('nn_cls_fps_skip.pt')
    keep = ['xyz', 'global_feature', 'near_origin_mask', 'global_feature_if_plain_fps']
    out = {k: sk[k] for k in keep}
    out['fps_idx_s1_plain_noskip'] = sk['fps_idx_s1_plain_noskip'].short()
    for s in range(1, 5):
        out[f'fps_idx_s{s}'] = sk[f'fps_idx_s{s}'].short()
        out[f'std_x_xyz_s{s}'] = sk[f'std_x_xyz_s{s}']
    save(out, 'nn_cls_fps_skip.pt')

    save(load('nn_membank.pt'), 'nn_membank.pt')

    seg = load('nn_seg.pt')
    out = {k: seg[k] for k in ('xyz', 'args_points_stages_dim_k_dek_alpha_beta',
                               'feat_bz1_sum_over_points', 'feat_bz1_sum_over_channels',
                               'feat_batched_sum_over_points', 'enc_coarsest_xyz_bz1_cloud0')}
    out['sub_idx32'] = seg['sub_idx'][:32].clone()
    out['feat_bz1_sub32'] = seg['feat_bz1_sub'][:, :, :32].clone()
    out['feat_batched_sub8'] = seg['feat_batched_sub'][:, :, :8].clone()
    out['fps_idx_s1_bz1'] = seg['fps_idx_s1_bz1'].short()
    out['enc_coarsest_x_bz1_cloud0'] = seg['enc_coarsest_x_bz1_cloud0']
    save(out, 'nn_seg.pt')

    for name in ('mn40', 'scan'):
        io = load(f'pn_{name}_io.pt')
        out = {k: v for k, v in io.items() if not k.startswith(('knn_idx', 'pooled_s'))}
        out['pooled_s4'] = io['pooled_s4']
        out['knn_idx_s1_c0'] = io['knn_idx_s1'][0].short()
        for s in range(1, 5):
            out[f'fps_idx_s{s}'] = io[f'fps_idx_s{s}'].short()
        save(out, f'pn_{name}_io.pt')
        save(load(f'pn_{name}_state_dict.pt'), f'pn_{name}_state_dict.pt')


if __name__ == '__main__':
    main(sys.argv[1], os.path.dirname(os.path.abspath(__file__)))
