"""The sizes the benchmark runs at: names of about how many order lines, mapped to demo_company scales."""

from __future__ import annotations

# demo_company scale 1 is about 100,000 order lines over three years (docs/demo_company.md).
SCALES: dict[str, float] = {"10k": 0.1, "100k": 1.0, "1m": 10.0, "10m": 100.0}
DEFAULT_SCALES = ("100k", "1m", "10m")


def parse_scales(text: str | None) -> list[str]:
    """Scale names from a comma- or space-separated list (``SCALES=1m`` or ``SCALES="10k 100k"``)."""
    if not text or not text.strip():
        return list(DEFAULT_SCALES)
    names = [name.strip().lower() for name in text.replace(",", " ").split()]
    unknown = [name for name in names if name not in SCALES]
    if unknown:
        raise ValueError(f"SCALES: unknown scale {', '.join(unknown)}; expected some of {', '.join(SCALES)}")
    return names
