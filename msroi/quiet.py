"""Native libraries' chatter kept off the terminal: TensorFlow's and LiteRT's start-up lines.

TensorFlow's C++ runtime writes log lines (oneDNN notices, CPU features, absl warnings) to
file descriptor 2 while it loads, before ``TF_CPP_MIN_LOG_LEVEL`` can silence them; LiteRT
announces its CPU delegate the first time an interpreter plans its tensors. A command line
prints only its own messages, so those steps run with descriptor 2 pointed at a temporary
file; if the step fails, what it wrote is passed on to stderr.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile


class _Captured:
    """What a :func:`captured_stderr` block wrote to file descriptor 2 (``text``, after it)."""

    text = ""


@contextlib.contextmanager
def captured_stderr():
    """Runs the block with file descriptor 2 (where C libraries print) held in a temporary
    file; yields an object whose ``text`` is what was written, once the block ends."""
    captured = _Captured()
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield captured
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            captured.text = held.read().decode(errors="replace")


@contextlib.contextmanager
def held_stderr():
    """Runs the block with file descriptor 2 held back; what was written is shown if the
    block raises."""
    try:
        with captured_stderr() as captured:
            yield
    except BaseException:
        sys.stderr.write(captured.text)
        raise


def import_tensorflow():
    """``import tensorflow`` with its load-time log lines held back (shown if it fails).

    Sets ``TF_CPP_MIN_LOG_LEVEL=2`` unless the user set it: TensorFlow reads it once, here.
    """
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with held_stderr():
        import tensorflow
    return tensorflow
