"""Put a Python child of the test run on the run's frozen clock (see ``tests/frozen_clock.py``).

Only on ``PYTHONPATH`` for children the tests start, and only active when
``PYTEST_FROZEN_CLOCK`` is set: the child's clock is moved by the same offset
as the parent's, so both read the same instant.
"""

import os

_clock = os.environ.get("PYTEST_FROZEN_CLOCK")
if _clock:
    import time

    import time_machine

    _frozen, _real = (float(part) for part in _clock.split())
    time_machine.travel(time.time() + (_frozen - _real), tick=True).start()
