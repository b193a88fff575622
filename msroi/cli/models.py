"""``msroi models``: the presets shipped."""

from __future__ import annotations

from msroi.errors import MsroiError


def run(args) -> int:
    from msroi import presets

    for name in presets.list_models():
        marker = " (default map model)" if name == presets.DEFAULT_MAP_MODEL else ""
        try:
            description = presets.read_preset(name, verify=False)["metadata"].get("description", "")
        except MsroiError as exc:
            description = f"unusable: {exc}"
        print(f"{name}{marker}\n    {description}")
    return 0

