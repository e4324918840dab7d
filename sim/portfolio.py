"""Portfolios: one operator's sites, planned together.

A multi-site operator decides across its estate (a policy for every site, a fee it may switch on
everywhere), so the twin runs the sites together: the same days, one run seed, one results folder.
A portfolio file is YAML, data only, validated on load like a scenario; every problem is one line
naming the file, the field and the problem::

    name: north-estate
    description: Three sites of one operator.
    seed: 1                              # the run seed; each site's seed is derived from it and its label
    days: 14                             # every site runs this long
    overrides:                           # every site: a change the operator considers estate-wide
      policy.idle_fee.enabled: true
    sites:
      - scenario: retail-car-park/anpr   # a bundled name, or a file relative to this file
        label: retail                    # names the site's results folder (default: the scenario's name)
        overrides: {site.ev_bays: 8}     # this site only

Overrides are the scenario loader's own (``load_scenario(..., overrides)``): the portfolio's first,
then the site's, then ``--set`` from the command line, each a dotted path as in a scenario file.
A file is a portfolio when its top level has ``sites``: a scenario has ``site`` and refuses unknown
keys, so no file is both. docs/portfolio.md is the reference.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from baytwin.core.config import ConfigError, Name, load_yaml, validate
from baytwin.sim.scenario import SCENARIO_DIR, Scenario, display_path, load_scenario, resolve_scenario_path

PORTFOLIO_DIR = SCENARIO_DIR / "portfolios"
_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_SET_NOTE = re.compile(r" \((policy of [^()]*), as overridden by --set\)$")


def _folder_name(value: str) -> str:
    """A label names the site's results folder and its columns in a sweep (``sites.<label>.<figure>``),
    so it is kept to characters that are safe in both."""
    if not _LABEL.fullmatch(value):
        raise ValueError("must be 1-64 letters, digits, '-' or '_', starting with a letter or digit "
                         "(it names the site's results folder)")
    return value


Label = Annotated[str, AfterValidator(_folder_name)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SiteEntry(_Strict):
    """One site as the file writes it."""

    scenario: str = Field(min_length=1)
    label: Label | None = None
    overrides: dict[str, Any] = Field(default_factory=dict)


class PortfolioFile(_Strict):
    """The portfolio file as written (before the sites' scenarios are loaded)."""

    name: Name = Field(min_length=1)
    description: str = ""
    seed: int = 1
    days: float = Field(28.0, gt=0)
    overrides: dict[str, Any] = Field(default_factory=dict)
    sites: list[SiteEntry] = Field(min_length=1)


class Member(BaseModel):
    """A site of a loaded portfolio: its label, the scenario as named in the file, and that scenario
    loaded with every override applied."""

    model_config = ConfigDict(frozen=True)

    label: str
    scenario_ref: str
    overrides: dict[str, Any]
    scenario: Scenario


class Portfolio(BaseModel):
    """A validated portfolio, each site's scenario loaded: everything a run needs, nothing read later
    (a sweep ships it whole to its workers)."""

    model_config = ConfigDict(frozen=True)

    name: str
    description: str
    source: str
    seed: int
    days: float
    overrides: dict[str, Any]
    sites: tuple[Member, ...]

    @property
    def ev_bays(self) -> int:
        return sum(m.scenario.site.ev_bays for m in self.sites)


def site_seed(run_seed: int, label: str) -> int:
    """The seed of one site in a run: fixed by the run seed and the site's label alone, so the same
    seed gives the same results, a site keeps its seed when others are added or reordered, and two
    sites never share their luck."""
    digest = hashlib.sha256(f"baytwin-portfolio:{run_seed}:{label}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def find_portfolio(name_or_path: str | Path) -> Path | None:
    """The portfolio file ``name_or_path`` names (a path, or a bundled name such as
    ``portfolios/north-estate``), or None if it names a scenario or nothing loadable (the scenario
    loader then gives its own one-line error)."""
    try:
        path = resolve_scenario_path(name_or_path)
        return path if path.is_file() and "sites" in load_yaml(path) else None
    except (ConfigError, OSError):  # e.g. a name too long for the file system: the scenario loader's to report
        return None


def bundled_portfolio_files() -> list[Path]:
    return sorted(PORTFOLIO_DIR.glob("*.yaml"))


def load_portfolio(name_or_path: str | Path, overrides: dict[str, Any] | None = None) -> Portfolio:
    """Load and validate a portfolio and every site's scenario; ``overrides`` (``--set``) apply to every
    site after the file's own. Every problem is a ConfigError naming the portfolio file and the field."""
    path = resolve_scenario_path(name_or_path)
    source = display_path(path)
    spec = validate(PortfolioFile, load_yaml(path), source)
    members: list[Member] = []
    labels: dict[str, int] = {}
    for index, entry in enumerate(spec.sites):
        scenario = _load_site(path, source, spec, index, entry, dict(overrides or {}))
        label = entry.label or scenario.name
        if entry.label is None and not _LABEL.fullmatch(label):
            raise ConfigError(source, f"sites.{index}.label", f"required: the scenario's name '{label}' "
                              "cannot name a results folder (letters, digits, '-' or '_')")
        if label in labels:
            raise ConfigError(source, f"sites.{index}.label", f"'{label}' is already the label of site "
                              f"{labels[label]}; give each site its own label")
        labels[label] = index
        members.append(Member(label=label, scenario_ref=entry.scenario, overrides=entry.overrides,
                              scenario=scenario))
    return Portfolio(name=spec.name, description=spec.description, source=source, seed=spec.seed,
                     days=spec.days, overrides=spec.overrides, sites=tuple(members))


def _scenario_file(path: Path, source: str, index: int, ref: str) -> Path:
    """A site's scenario: a file relative to the portfolio file, else a bundled scenario by name. Never a
    path relative to the working directory, so a portfolio means the same wherever it is run from."""
    field = f"sites.{index}.scenario"
    if "\x00" in ref or not ref.isprintable():
        raise ConfigError(source, field, f"not a usable path or name: {ref!r}")
    local = path.parent / ref
    if local.is_file():
        return local
    problem = f"'{ref}' not found: neither a file beside the portfolio file nor a bundled scenario name"
    if Path(ref).is_absolute():
        raise ConfigError(source, field, problem)
    try:
        bundled = resolve_scenario_path(ref).resolve()
    except (ConfigError, OSError):
        raise ConfigError(source, field, problem) from None
    if not bundled.is_relative_to(SCENARIO_DIR.resolve()):  # found beside the working directory only
        raise ConfigError(source, field, problem)
    return bundled


def _load_site(path: Path, source: str, spec: PortfolioFile, index: int, entry: SiteEntry,
               command_line: dict[str, Any]) -> Scenario:
    """One site's scenario with the portfolio's, the site's and the command line's overrides, in that order.

    The scenario loader names the scenario (or policy) file in its errors; a problem that comes from an
    override is reported against the portfolio file and the override's own field instead."""
    scenario_file = _scenario_file(path, source, index, entry.scenario)
    layers = [(f"sites.{index}.overrides.", entry.overrides), ("overrides.", spec.overrides)]
    try:
        return load_scenario(scenario_file, {**spec.overrides, **entry.overrides, **command_line})
    except ConfigError as err:
        where = f"site {index}, scenario {entry.scenario}"
        key = _override_at_fault(err, command_line)
        if key is not None:
            raise ConfigError(err.source, err.field, f"{err.problem} (--set {key}; {where} of {source})") from None
        for prefix, layer in layers:
            key = _override_at_fault(err, layer)
            if key is not None:
                problem = _SET_NOTE.sub(r" (\1)", err.problem)  # the loader takes every override for a --set
                raise ConfigError(source, prefix + key, f"{problem} ({where})") from None
        raise ConfigError(err.source, err.field, f"{err.problem} ({where} of {source})") from None


def _override_at_fault(err: ConfigError, overrides: dict[str, Any]) -> str | None:
    """The override whose path leads to or lies under the field the error names (a policy file's errors
    name the field within the policy). Overrides are tried last-applied first: the later one won."""
    fields = {err.field, f"policy.{err.field}"}
    for key in reversed(list(overrides)):
        if any(key == f or key.startswith(f + ".") or f.startswith(key + ".") for f in fields):
            return key
    return None
