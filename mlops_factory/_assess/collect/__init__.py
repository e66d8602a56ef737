"""The collect stage: what a repository's CI and infrastructure files say, read once.

Beside the snapshot (the files), this package turns files into facts that signals
question: the CI model (:mod:`.ci`, one module per CI system), what a command
really runs (:mod:`.runs`), and the IaC resource graph (:mod:`.iac`, queried by
:mod:`.iacquery`). Each model is built once per snapshot and cached on it.
"""
