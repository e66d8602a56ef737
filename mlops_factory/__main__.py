"""``python -m mlops_factory``."""

from mlops_factory._cli import main

raise SystemExit(main())
