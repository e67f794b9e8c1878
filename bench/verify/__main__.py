"""``python -m bench.verify``: the benchmark; ``--child prepare ...``: its child process."""

import sys

from bench.verify.main import child, main

if sys.argv[1:2] == ["--child"]:
    child(sys.argv[2:])
else:
    main()
