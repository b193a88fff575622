"""TensorFlow, imported without its start-up chatter on the terminal.

TensorFlow's C++ runtime writes log lines (oneDNN notices, CPU features, absl warnings) to
file descriptor 2 while it loads, before ``TF_CPP_MIN_LOG_LEVEL`` can silence them. A
command line prints only its own messages, so the import runs with descriptor 2 pointed at
a temporary file; if the import fails, what it wrote is passed on to stderr.
"""

from __future__ import annotations

import os
import sys
import tempfile


def import_tensorflow():
    """``import tensorflow`` with its load-time log lines held back (shown if it fails)."""
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            import tensorflow
        except BaseException:
            os.dup2(saved, 2)
            held.seek(0)
            sys.stderr.write(held.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    return tensorflow
