# Plug-and-play: a weak Point-PN (its epoch-10 checkpoint of the 20-epoch run) + Point-NN memory.
# tools/train.py builds the Point-NN memory (classifier frozen); tools/test.py evaluates.
_base_ = ['./point-nn_membank_primitives-synthetic.py']

model = dict(
    _delete_=True,
    type='PlugAndPlayClassifier',
    data_preprocessor=dict(type='PointCloudDataPreprocessor'),
    classifier=dict(
        type='PointPNClassifier',
        backbone=dict(type='PointPNEncoder', in_channels=3, input_points=256, k_neighbors=16,
                      embed_dim=18, norm='mn40'),
        head=dict(type='PointPNHead', in_channels=144, num_classes=8),
        # the trained classifier (keys backbone.* / head.*); override with
        # --cfg-options model.classifier.init_cfg.checkpoint=PATH
        init_cfg=dict(type='Pretrained',
                      checkpoint='work_dirs/point-pn_1xb32-cosine-20e_primitives-synthetic/'
                                 'epoch_10.pth')),
    point_nn=dict(type='PointNNClassifier',
                  backbone=dict(type='PointNNEncoder', input_points=256, k_neighbors=16),
                  head=dict(type='MemoryBankHead', num_classes=8, gamma=300.0)),
    nn_weight=1.0)
train_cfg = dict(type='MemoryBankBuildLoop', select_gamma=False)
