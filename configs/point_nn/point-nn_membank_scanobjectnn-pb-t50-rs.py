# Point-NN on ScanObjectNN PB-T50-RS (official run_nn_cls.py default: --dataset scan --split 3).
_base_ = ['./point-nn_membank_modelnet40.py']

data_root = 'data/h5_files'
train_dataloader = dict(dataset=dict(_delete_=True, type='ScanObjectNNH5Dataset',
                                     data_root=data_root, variant='pb_t50_rs', split='training',
                                     pipeline={{_base_.train_pipeline}}))
test_dataloader = dict(dataset=dict(_delete_=True, type='ScanObjectNNH5Dataset',
                                    data_root=data_root, variant='pb_t50_rs', split='test',
                                    pipeline={{_base_.test_pipeline}}, test_mode=True))
model = dict(head=dict(num_classes=15))
