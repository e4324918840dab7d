"""The names of the imagery's degradations, apart from the code that draws them.

A scenario names degradations for its cameras; validating it must not need the image stack (OpenCV,
Pillow), which a planner who only simulates with the error model has no use for and may not have
installed. ``degrade.REGISTRY`` holds the same names, in this order (a test keeps them equal).
"""

from __future__ import annotations

DEGRADATION_NAMES: tuple[str, ...] = (
    "dirt", "bent", "steep_angle", "occlusion", "night_ir", "snow", "rain", "fog", "glare",
    "motion_blur", "defocus", "low_res", "noise", "jpeg",
)
