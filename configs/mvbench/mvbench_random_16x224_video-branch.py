# Random-choice baseline on the pre-cut 'video' branch of the HF dataset (bounds already
# applied; results are labelled as NOT the official protocol).
_base_ = ['./mvbench_random_16x224.py']
test_dataloader = dict(dataset=dict(layout='video_branch'))
