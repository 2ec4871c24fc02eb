"""Seeded synthetic ASN data with a known causal truth (DESIGN.md "Synthetic data").

Entry points: `seed.run_seed(engine, config.SyntheticConfig(...))` writes a data set into a
migrated database (`kinerja seed` on the command line); `causal.true_gain` is the
recommender's oracle and `causal.p_poor_next` the risk oracle; `truth.TRUTH_METADATA` holds
the truth tables. Modules: `config` (what a caller chooses), `causal` (the equations), `catalogue`
(programs and true effects), `organisation`, `people`, `plans`, `development`, `history`
(the quarterly loop), `statics`, `ids`, `writer`, `loading`, `truth`, `seed`.
"""
