"""The training side of Kinerja: synthetic data, extraction, training, evaluation, promotion.

Nothing here is imported by the service at start-up; the CLI imports it inside the commands
that need it.
"""
