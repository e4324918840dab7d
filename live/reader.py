"""The plate reader a live site runs: its own recognizer if the site file names one, and its gate.

The gate's threshold is, in order: the site file's ``gate.accept_at`` when it
gives one (the site has decided), else the threshold calibrated for the model
(``accept_threshold`` in the model's config, written by ``baytwin ocr
calibrate``), else 0.90. A model's confidences mean what its training made
them mean, so a brought model should come with its own threshold rather than
inherit the bundled model's.
"""

from __future__ import annotations

from baytwin.core.config import ConfigError
from baytwin.core.ocr.detector import CLASSICAL, Detector, DetectorProblem, chosen_detector
from baytwin.core.ocr.gate import ConfidenceGate
from baytwin.core.ocr.pipeline import PlateReader, default_gate
from baytwin.core.ocr.recognizer import Recognizer
from baytwin.live.site import Site


def site_reader(site: Site, recognizer: Recognizer | None = None, accept_at: float | None = None,
                detector: Detector | None = None) -> PlateReader:
    """The site's PlateReader; a model onnxruntime cannot load raises ModelProblem, a detector it cannot load
    or a gate below its review floor a ConfigError naming the site file.

    ``recognizer``, ``accept_at`` and ``detector`` override the site's, for a person trying another model,
    threshold or detector on the site's frames (``baytwin ocr read --site``)."""
    if recognizer is None:
        recognizer = Recognizer(*site.recognizer_files) if site.recognizer_files else Recognizer()
    if detector is None and site.spec.ocr is not None and site.spec.ocr.detector is not None:
        try:  # the site's file, checked when the site was loaded, or the classical detector by name
            detector = chosen_detector(site.detector_file or CLASSICAL)
        except DetectorProblem as err:
            raise ConfigError(site.path, "ocr.detector", str(err)) from None
    given = site.spec.gate.model_fields_set if "gate" in site.spec.model_fields_set else set()
    model_gate = default_gate(recognizer.config)
    if accept_at is not None:
        accept = accept_at
    else:
        accept = site.spec.gate.accept_at if "accept_at" in given else model_gate.accept_at
    review = site.spec.gate.review_from if "review_from" in given else min(model_gate.review_from, accept)
    try:
        gate = ConfidenceGate(accept_at=accept, review_from=review)
    except ValueError as err:
        raise ConfigError(site.path, "gate", f"{err} (accept_at {accept:g}, review_from {review:g})") from None
    return PlateReader(recognizer=recognizer, detector=detector, gate=gate,
                       formats=site.spec.ocr.formats if site.spec.ocr else None)
