#!/usr/bin/env bash
# Debian packages some optional parts use: tesseract-ocr, the baseline `baytwin ocr eval --baseline
# tesseract` compares the trained reader against, and chromium, the browser the dashboard's
# end-to-end test drives, and mosquitto, the MQTT broker the bay-sensor tests start. Installs only
# what is missing; where apt-get cannot run (not Debian, not root) it says so and leaves the rest of
# the set-up to go on.
set -uo pipefail
missing=()
command -v tesseract >/dev/null 2>&1 || missing+=(tesseract-ocr)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
[ ${#missing[@]} -eq 0 ] && exit 0
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  { apt-get install -y -qq "${missing[@]}" || { apt-get update -qq && apt-get install -y -qq "${missing[@]}"; }; } \
    </dev/null >/dev/null 2>&1 || echo "note: could not install ${missing[*]}; the Tesseract baseline, the dashboard's browser test or the MQTT sensor tests will be unavailable" >&2
else
  echo "note: ${missing[*]} not installed (needs apt-get as root); the Tesseract baseline, the dashboard's browser test or the MQTT sensor tests will be unavailable" >&2
fi
exit 0
