"""The training recommender's training side: extract, model, baselines, evaluate, register.

`run_recommender_training` (in `pipeline`) is the step the training pipeline calls.
"""
