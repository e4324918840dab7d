"""Synthetic licence-plate imagery for the twin: plate crops, bay-camera frames, degradations.

The OCR pipeline is trained and tested on what these modules draw, so the
ground truth (plate text, plate corners, the bay's region of interest) is
always known exactly. ``plates`` draws a plate, ``scenes`` puts it on a car in
a bay seen by a camera, ``degrade`` spoils the picture the way weather,
darkness, optics and the sensor do, and ``dataset`` writes labelled sets.
Fonts are loaded only from ``fonts/`` beside this file (DejaVu, see its
licence there), so the images do not depend on the machine.
"""
