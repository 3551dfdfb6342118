"""``python -m ddlaws.laws``: the laws fitted to a table of accuracies (``ddlaws.report.laws_cli``).

An entry point, not a module of the laws stage: nothing imports it. The
command runs the report stage too, so its code lives there, at the top.
"""

import sys

from ddlaws.report.laws_cli import main

sys.exit(main())
