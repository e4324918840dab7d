#!/usr/bin/env bash
# The font packages the recognizer trains on (sim/imagery/font_pool.yaml names each font's package
# and licence). Only training needs them; reading plates and the test suite do not. Debian, as root.
set -euo pipefail
packages=(
  fonts-3270 fonts-adf-gillius fonts-adf-mekanus fonts-adf-switzera fonts-adf-universalis fonts-agave
  fonts-anonymous-pro fonts-bebas-neue fonts-cabin fonts-cantarell fonts-comfortaa fonts-crosextra-caladea
  fonts-crosextra-carlito fonts-dosis fonts-firacode fonts-freefont-ttf fonts-hack fonts-inter
  fonts-jetbrains-mono fonts-karla fonts-lato fonts-league-mono fonts-league-spartan fonts-liberation2
  fonts-linuxlibertine fonts-mononoki fonts-mplus fonts-noto-core fonts-ocr-a fonts-ocr-b fonts-open-sans
  fonts-opendin fonts-quicksand fonts-routed-gothic fonts-sil-andika fonts-sil-charis fonts-sil-gentiumplus
  fonts-texgyre fonts-urw-base35
  fonts-allerta fonts-beteckna fonts-courier-prime fonts-hermit fonts-inconsolata fonts-karmilla fonts-manrope
  fonts-monoid fonts-national-park fonts-osifont fonts-oxygen fonts-paratype fonts-play fonts-roadgeek fonts-sora
  fonts-tiresias fonts-tuffy fonts-yanone-kaffeesatz
  fonts-adf-ikarius fonts-adf-tribun fonts-adf-verana fonts-averia-sans-gwf fonts-comic-neue fonts-fantasque-sans
  fonts-jura fonts-millimetre fonts-noto-extra fonts-opendyslexic
)
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq "${packages[@]}" </dev/null >/dev/null || { apt-get update -qq && apt-get install -y -qq "${packages[@]}" </dev/null >/dev/null; }
echo "training fonts installed (${#packages[@]} packages)"
