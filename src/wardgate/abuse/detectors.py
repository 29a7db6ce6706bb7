"""Behavioural detectors: attacks that no single request shows, read off a key's features.

Each detector looks at one :class:`~wardgate.abuse.features.FeatureSnapshot` (a key's short and
long windows and baseline, right after an exchange) and returns an :class:`AbuseFinding` with the
statistic that fired: its name, value, threshold and window, plus the components behind it, so
an analyst sees *why* (``logprob_share 0.82, distinct_temperatures 5``) and never a prompt.

Scores combine several weak signals, because each has an innocent explanation on its own: a
classifier asks for logprobs, a batch job sends one template with many fillers, a new indexer
embeds a corpus at once. A signal counts only above an absolute floor, and volume counts only as
a deviation from the key's own baseline (or its route's, for a new key).

Detectors report; the response policy (:mod:`wardgate.abuse.responses`) decides what happens.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from wardgate.abuse.baseline import Deviation, Metric
from wardgate.abuse.features import Counter, Family, FeatureSnapshot
from wardgate.abuse.observation import MAX_EMBED_ITEMS_HASHED, EntityKey, OpKind, Scope
from wardgate.abuse.settings import AbuseSettings, BaselineSettings
from wardgate.core.finding import Severity
from wardgate.core.taxonomy import Atlas, OwaspApi, OwaspLlm, TaxonomyId

StatValue = int | float | str | bool

MODEL_EXTRACTION: Final = "model_extraction"
EMBEDDING_HARVESTING: Final = "embedding_harvesting"
SYSTEM_PROMPT_PROBING: Final = "system_prompt_probing"
API_ENUMERATION: Final = "api_enumeration"
COST_HARVESTING: Final = "cost_harvesting"
DETECTORS: Final = (
    MODEL_EXTRACTION,
    EMBEDDING_HARVESTING,
    SYSTEM_PROMPT_PROBING,
    API_ENUMERATION,
    COST_HARVESTING,
)

TAXONOMY: Final[Mapping[str, tuple[TaxonomyId, ...]]] = {
    MODEL_EXTRACTION: (
        Atlas.EXTRACT_ML_MODEL,
        Atlas.ML_MODEL_INFERENCE_API_ACCESS,
        OwaspLlm.UNBOUNDED_CONSUMPTION,
        OwaspApi.UNRESTRICTED_ACCESS_TO_SENSITIVE_BUSINESS_FLOWS,
    ),
    EMBEDDING_HARVESTING: (
        Atlas.EXTRACT_ML_MODEL,
        Atlas.ML_MODEL_INFERENCE_API_ACCESS,
        OwaspLlm.UNBOUNDED_CONSUMPTION,
        OwaspApi.UNRESTRICTED_ACCESS_TO_SENSITIVE_BUSINESS_FLOWS,
    ),
    SYSTEM_PROMPT_PROBING: (Atlas.META_PROMPT_EXTRACTION, OwaspLlm.SYSTEM_PROMPT_LEAKAGE),
    COST_HARVESTING: (
        Atlas.COST_HARVESTING,
        OwaspLlm.UNBOUNDED_CONSUMPTION,
        OwaspApi.UNRESTRICTED_RESOURCE_CONSUMPTION,
    ),
}
_BOLA: Final[tuple[TaxonomyId, ...]] = (OwaspApi.BROKEN_OBJECT_LEVEL_AUTHORIZATION,)
_SCRAPING: Final[tuple[TaxonomyId, ...]] = (
    OwaspApi.UNRESTRICTED_ACCESS_TO_SENSITIVE_BUSINESS_FLOWS,
    OwaspApi.UNRESTRICTED_RESOURCE_CONSUMPTION,
)


@dataclass(frozen=True, slots=True)
class AbuseFinding:
    """One detector firing for one key. ``detector`` is also the incident category."""

    detector: str
    key: EntityKey
    severity: Severity
    score: float
    statistic: Mapping[str, StatValue]
    taxonomy: tuple[TaxonomyId, ...]
    summary: str


def _clamp(x: float) -> float:
    return 0.0 if x < 0 else 1.0 if x > 1 else x


def _r(x: float) -> float:
    return round(x, 4)


@dataclass(frozen=True, slots=True)
class Volume:
    """The current rate of one metric against a baseline."""

    z: float
    source: str  # own, route or none
    value: float


def volume(
    snap: FeatureSnapshot, metric: Metric, recent: float, min_std: float, bs: BaselineSettings
) -> Volume:
    """The larger of this hour and the short window (about an hour) against the key's own
    baseline, or its route's while the key is new."""
    base = snap.baseline
    own = base.own[metric]
    dev: Deviation | None = own
    source = "own"
    if own.weight < bs.min_own_hours or base.age_s < bs.min_own_age_h * 3600:
        dev, source = base.route[metric] if base.route is not None else None, "route"
    value = max(base.current[metric], recent)
    if dev is None:
        return Volume(0.0, "none", value)
    return Volume(Deviation(value, dev.mean, dev.std, dev.weight).z(min_std), source, value)


@dataclass(frozen=True, slots=True)
class Context:
    """Settings and the key's scope factor (shared keys see many callers at once)."""

    settings: AbuseSettings
    floor_factor: float

    @classmethod
    def for_key(cls, settings: AbuseSettings, key: EntityKey, anonymous: bool) -> Context:
        shared = key.scope is Scope.TENANT or (key.scope is Scope.CLIENT and not anonymous)
        return cls(settings, settings.shared_scope_floor_factor if shared else 1.0)


def _modifiers(
    snap: FeatureSnapshot, vol: Volume, bs: BaselineSettings
) -> tuple[float, dict[str, StatValue]]:
    """Extra score for a burst at an hour the key is never active, or a new key ramping fast."""
    burst = vol.z >= bs.z
    off = burst and snap.baseline.off_hours(bs.off_hours_min_history_h, bs.off_hours_share)
    new = burst and snap.baseline.age_s < bs.new_key_age_h * 3600
    extra = bs.modifier * (int(off) + int(new))
    return extra, {"off_hours_burst": off, "new_key_ramp": new}


def _finding(
    detector: str,
    snap: FeatureSnapshot,
    *,
    severity: Severity,
    score: float,
    stat: dict[str, StatValue],
    summary: str,
    taxonomy: tuple[TaxonomyId, ...] | None = None,
) -> AbuseFinding:
    return AbuseFinding(
        detector=detector,
        key=snap.key,
        severity=severity,
        score=_r(_clamp(score)),
        statistic=stat,
        taxonomy=TAXONOMY[detector] if taxonomy is None else taxonomy,
        summary=summary,
    )


def _best(
    found: list[AbuseFinding],
) -> AbuseFinding | None:
    return max(found, key=lambda f: f.score) if found else None


# -- model extraction ---------------------------------------------------------------------------


def model_extraction(snap: FeatureSnapshot, ctx: Context) -> AbuseFinding | None:
    """Systematic querying to copy a model: volume above the norm combined with what copying
    needs (logprobs, several samples, temperature and logit-bias sweeps, templated coverage)."""
    s = ctx.settings.extraction
    bs = ctx.settings.baseline
    if not s.enabled or snap.obs.kind is not OpKind.LLM:
        return None
    found: list[AbuseFinding] = []
    vol = volume(snap, Metric.REQUESTS, snap.short.count(Counter.REQUESTS), bs.min_std_requests, bs)
    extra, mods = _modifiers(snap, vol, bs)
    floors = (s.min_requests_short, s.min_requests_long)
    for w, floor in zip(snap.windows, floors, strict=True):
        n = w.count(Counter.LLM)
        if n < floor * ctx.floor_factor:
            continue
        lp_share = w.share(Counter.LOGPROBS, Counter.LLM)
        out_per = w.count(Counter.TOKENS_OUT) / n
        long_answers = out_per >= 16  # a classifier's one-token answers teach a copy little
        s_lp = _clamp((lp_share - 0.1) / 0.4) * (1.0 if long_answers else 0.25)
        lp_requests = w.count(Counter.LOGPROBS)
        s_lpv = _clamp((lp_requests - s.logprob_requests) / s.logprob_requests) * long_answers
        temps = w.distinct(Family.TEMPERATURES)
        s_temp = _clamp((temps - 2) / 3)
        multi = w.share(Counter.MULTI_N, Counter.LLM)
        s_n = _clamp(multi / 0.3)
        biases = w.distinct(Family.BIASES)
        s_bias = _clamp((biases - 2) / 8)
        # The strongest copying signal counts in full, the others half: each has innocent
        # uses alone (a playground shows logprobs), together they are a harvesting script.
        signals = sorted((s_lp, s_lpv, s_temp, s_n, s_bias), reverse=True)
        strength = min(1.0, signals[0] + 0.5 * sum(signals[1:]))
        templates = max(1.0, w.distinct(Family.TEMPLATES))
        fillers = w.distinct(Family.FILLERS)
        per_template = fillers / templates
        s_tpl = _clamp((per_template - 1.5) / 3) * _clamp((templates - 1) / 4)
        s_vol = _clamp((vol.z - bs.z / 2) / bs.z)
        score = 0.6 * strength + 0.15 * s_tpl + 0.25 * s_vol + extra
        if strength < 0.25 or score < s.threshold:
            continue  # volume and templates alone are what batch jobs look like
        stat: dict[str, StatValue] = {
            "name": "extraction_score",
            "value": _r(score),
            "threshold": s.threshold,
            "window": w.spec.name,
            "llm_requests": int(n),
            "logprob_share": _r(lp_share),
            "logprob_requests": int(lp_requests),
            "copy_signal_strength": _r(strength),
            "output_tokens_per_request": _r(out_per),
            "distinct_temperatures": round(temps),
            "multi_sample_share": _r(multi),
            "distinct_logit_biases": round(biases),
            "templates": round(templates),
            "fillers_per_template": _r(per_template),
            "requests_z": _r(vol.z),
            "baseline": vol.source,
            **mods,
        }
        sim = w.mean_similarity()
        if sim is not None:
            stat["mean_prompt_similarity"] = _r(sim)
        severity = Severity.HIGH if score >= s.high_severity_at else Severity.MEDIUM
        summary = (
            f"model extraction: {int(n)} LLM requests in {w.spec.name}, "
            f"{lp_share:.0%} with logprobs, {round(temps)} temperatures, "
            f"{per_template:.1f} fillers per template (score {score:.2f} >= {s.threshold})"
        )
        found.append(
            _finding(
                MODEL_EXTRACTION, snap, severity=severity, score=score, stat=stat, summary=summary
            )
        )
    return _best(found)


# -- embedding harvesting -----------------------------------------------------------------------


def embedding_harvesting(snap: FeatureSnapshot, ctx: Context) -> AbuseFinding | None:
    """Querying an embedding model to copy or invert it: many unique, short inputs, sustained
    through the day, above the key's norm. An indexer embedding its corpus once sends long
    chunks in a burst and then stops; a search backend's queries repeat."""
    s = ctx.settings.embedding
    bs = ctx.settings.baseline
    if not s.enabled or snap.obs.kind is not OpKind.EMBEDDINGS:
        return None
    found: list[AbuseFinding] = []
    vol = volume(
        snap, Metric.EMBED_ITEMS, snap.short.count(Counter.EMBED_ITEMS), bs.min_std_embed, bs
    )
    extra, mods = _modifiers(snap, vol, bs)
    hours = snap.long.distinct(Family.HOURS)
    floors = (s.min_items_short, s.min_items_long)
    for w, floor in zip(snap.windows, floors, strict=True):
        items = w.count(Counter.EMBED_ITEMS)
        if items < floor * ctx.floor_factor:
            continue
        hashed = min(items, MAX_EMBED_ITEMS_HASHED * w.count(Counter.EMBED))
        unique = _clamp(w.distinct(Family.EMBED_INPUTS) / max(hashed, 1.0))
        short = w.share(Counter.EMBED_SHORT, Counter.EMBED_ITEMS)
        s_short = _clamp((short - 0.3) / 0.4)
        s_sustain = _clamp((hours - 6) / 10)
        s_vol = _clamp((vol.z - bs.z / 2) / bs.z)
        shape = 0.55 * s_short + 0.45 * s_sustain
        absolute = w is snap.long and items >= s.absolute_items_long * ctx.floor_factor
        # The harvesting shape: unique inputs (repeats teach a copy nothing), short or sustained
        # (an indexer's corpus load is long chunks in a burst). A key trusted by age must also
        # be above its own norm; a younger one gets no benefit of the doubt, since its own
        # baseline may be nothing but the harvest.
        harvest_shape = unique >= s.min_unique_share and max(s_short, s_sustain) >= 0.5
        # Trust is earned by embedding for a while, not by age: an account that chatted for a
        # month and began embedding today has no embedding norm to be within.
        trusted = snap.baseline.kind_age_s >= s.trust_after_h * 3600 and vol.source == "own"
        above_norm = s_vol > 0 or not trusted
        score = 0.5 + 0.25 * shape + 0.25 * s_vol + extra
        if absolute:
            score = max(score, s.high_severity_at)
        elif not (harvest_shape and above_norm) or score < s.threshold:
            continue
        stat: dict[str, StatValue] = {
            "name": "embedding_harvest_score",
            "value": _r(score),
            "threshold": s.threshold,
            "window": w.spec.name,
            "embedding_inputs": int(items),
            "unique_share": _r(unique),
            "short_input_share": _r(short),
            "active_hours_24h": round(hours),
            "items_z": _r(vol.z),
            "baseline": vol.source,
            "embedding_for_h": round(snap.baseline.kind_age_s / 3600, 1),
            "trusted_key": trusted,
            "absolute_floor": absolute,
            **mods,
        }
        severity = Severity.HIGH if score >= s.high_severity_at else Severity.MEDIUM
        summary = (
            f"embedding harvesting: {int(items)} inputs in {w.spec.name}, {unique:.0%} unique, "
            f"{short:.0%} short, active {round(hours)} h (score {score:.2f})"
        )
        found.append(
            _finding(
                EMBEDDING_HARVESTING,
                snap,
                severity=severity,
                score=score,
                stat=stat,
                summary=summary,
            )
        )
    return _best(found)


# -- system prompt probing ----------------------------------------------------------------------


def system_prompt_probing(snap: FeatureSnapshot, ctx: Context) -> AbuseFinding | None:
    """Many turns that try to make the model recite its instructions: several *different*
    probes (lexical ones, or findings tagged as system-prompt extraction) in a day, or
    rewordings of a blocked prompt in quick succession."""
    s = ctx.settings.probing
    obs = snap.obs
    if not s.enabled or (obs.kind is not OpKind.LLM and not obs.probe):
        return None
    w = snap.long
    probes = w.count(Counter.PROBES)
    if probes < 1:
        return None
    distinct = w.distinct(Family.PROBE_PROMPTS)
    llm = max(1.0, w.count(Counter.LLM))
    share = probes / llm
    retries = snap.near_dup_retries
    # Probes are counted by their first words (observation.PROBE_KEY_WORDS), so rewordings
    # of one blocked probe are one attempt: a user whose prompt a detector wrongly blocked
    # rephrases it, and the rephrasing trips the same detector.
    varied = distinct >= s.min_distinct_probes and share >= s.min_probe_share
    # Rewording a blocked probe again and again, each time caught again: not a user whose next
    # prompts merely resemble one falsely blocked.
    evading = retries >= s.min_retries and probes >= s.min_retries
    if not (varied or evading):
        return None
    score = 0.5 + 0.08 * max(0.0, distinct - s.min_distinct_probes) + 0.1 * retries
    high = distinct >= s.high_severity_probes or evading
    stat: dict[str, StatValue] = {
        "name": "distinct_probes" if varied else "near_duplicate_retries",
        "value": round(distinct) if varied else retries,
        "threshold": s.min_distinct_probes if varied else s.min_retries,
        "window": w.spec.name,
        "probes": int(probes),
        "probe_share": _r(share),
        "near_duplicate_retries": retries,
        "blocked": int(w.count(Counter.BLOCKED)),
    }
    summary = (
        f"system prompt probing: {round(distinct)} distinct probes in {w.spec.name} "
        f"({share:.1%} of turns), {retries} near-duplicate retries after blocks"
    )
    severity = Severity.HIGH if high else Severity.MEDIUM
    return _finding(
        SYSTEM_PROMPT_PROBING, snap, severity=severity, score=score, stat=stat, summary=summary
    )


# -- API enumeration ----------------------------------------------------------------------------


def api_enumeration(snap: FeatureSnapshot, ctx: Context) -> AbuseFinding | None:
    """Walking an API's object ids: many distinct ids with many denials (BOLA probing) or in
    sequence (enumeration), or a day's worth of unique objects far above the norm (scraping)."""
    s = ctx.settings.enumeration
    bs = ctx.settings.baseline
    if not s.enabled or snap.obs.kind is not OpKind.HTTP:
        return None
    found: list[AbuseFinding] = []
    floors = (s.min_objects_short, s.min_objects_long)
    seq = snap.sequential_share if snap.sequential_pairs >= s.min_sequential_pairs else 0.0
    vol = volume(snap, Metric.REQUESTS, snap.short.count(Counter.REQUESTS), bs.min_std_requests, bs)
    for w, floor in zip(snap.windows, floors, strict=True):
        objects = w.distinct(Family.OBJECTS)
        if objects < floor * ctx.floor_factor:
            continue
        fetches = max(1.0, w.count(Counter.OBJECTS))
        denied = w.share(Counter.DENIED, Counter.HTTP)
        unique = _clamp(objects / fetches)
        stat: dict[str, StatValue] = {
            "window": w.spec.name,
            "distinct_objects": round(objects),
            "denied_share": _r(denied),
            "sequential_share": _r(seq),
            "unique_share": _r(unique),
            "requests_z": _r(vol.z),
            "baseline": vol.source,
        }
        if denied >= s.denied_share:
            score = 0.6 + 0.4 * _clamp((denied - s.denied_share) / 0.5)
            stat.update(name="denied_share", value=_r(denied), threshold=s.denied_share)
            what, severity, tags = "BOLA probing", Severity.HIGH, _BOLA
        elif seq >= s.sequential_share and vol.z >= bs.z:
            # Partners walk catalogues by id every day: in sequence alone is their normal.
            score = 0.55 + 0.4 * _clamp((seq - s.sequential_share) / 0.5)
            stat.update(name="sequential_share", value=_r(seq), threshold=s.sequential_share)
            what, severity, tags = "sequential enumeration", Severity.MEDIUM, _BOLA + _SCRAPING
        elif (
            w is snap.long
            and objects >= s.scrape_objects_long * ctx.floor_factor
            and unique >= s.scrape_unique_share
            and vol.z >= bs.z
        ):
            score = 0.55
            stat.update(
                name="distinct_objects", value=int(objects), threshold=s.scrape_objects_long
            )
            what, severity, tags = "scraping", Severity.MEDIUM, _SCRAPING
        else:
            continue
        summary = (
            f"API enumeration ({what}): {round(objects)} distinct objects in "
            f"{w.spec.name}, {denied:.0%} denied, {seq:.0%} sequential"
        )
        found.append(
            _finding(
                API_ENUMERATION,
                snap,
                severity=severity,
                score=score,
                stat=stat,
                summary=summary,
                taxonomy=tags,
            )
        )
    return _best(found)


# -- cost harvesting ----------------------------------------------------------------------------


def cost_harvesting(snap: FeatureSnapshot, ctx: Context) -> AbuseFinding | None:
    """Burning someone else's budget: answers that run to huge ``max_tokens`` again and again,
    or an hour's token spend far above the key's norm."""
    s = ctx.settings.cost
    bs = ctx.settings.baseline
    if not s.enabled or snap.obs.kind is not OpKind.LLM:
        return None
    found: list[AbuseFinding] = []
    short_cost = snap.short.count(Counter.TOKENS_IN) + s.output_weight * snap.short.count(
        Counter.TOKENS_OUT
    )
    vol = volume(snap, Metric.COST, short_cost, bs.min_std_cost, bs)
    extra, mods = _modifiers(snap, vol, bs)
    floors = (s.min_capped_short, s.min_capped_long)
    for w, floor in zip(snap.windows, floors, strict=True):
        capped = w.count(Counter.CAPPED)
        share = w.share(Counter.CAPPED, Counter.LLM)
        if capped < floor * ctx.floor_factor or share < s.capped_share:
            continue
        score = 0.55 + 0.3 * _clamp((share - s.capped_share) / 0.5) + extra
        stat: dict[str, StatValue] = {
            "name": "capped_share",
            "value": _r(share),
            "threshold": s.capped_share,
            "window": w.spec.name,
            "capped_answers": int(capped),
            "output_tokens": int(w.count(Counter.TOKENS_OUT)),
            "cost_z": _r(vol.z),
            "baseline": vol.source,
            **mods,
        }
        summary = (
            f"cost harvesting: {int(capped)} answers ran to max_tokens in {w.spec.name} "
            f"({share:.0%} of LLM requests)"
        )
        severity = Severity.HIGH if share >= 0.6 else Severity.MEDIUM
        found.append(
            _finding(
                COST_HARVESTING, snap, severity=severity, score=score, stat=stat, summary=summary
            )
        )
    if short_cost >= s.min_cost_short * ctx.floor_factor and vol.z >= bs.z:
        score = 0.55 + 0.3 * _clamp((vol.z - bs.z) / (2 * bs.z)) + extra
        stat = {
            "name": "cost_z",
            "value": _r(vol.z),
            "threshold": bs.z,
            "window": snap.short.spec.name,
            "cost_units": int(short_cost),
            "min_cost": s.min_cost_short,
            "baseline": vol.source,
            **mods,
        }
        summary = (
            f"cost harvesting: {int(short_cost)} token-cost units in {snap.short.spec.name}, "
            f"z {vol.z:.1f} against the {vol.source} baseline"
        )
        found.append(
            _finding(
                COST_HARVESTING,
                snap,
                severity=Severity.MEDIUM,
                score=score,
                stat=stat,
                summary=summary,
            )
        )
    return _best(found)


Detector = Callable[[FeatureSnapshot, Context], AbuseFinding | None]

ALL_DETECTORS: Final[tuple[Detector, ...]] = (
    model_extraction,
    embedding_harvesting,
    system_prompt_probing,
    api_enumeration,
    cost_harvesting,
)


def run_detectors(
    snap: FeatureSnapshot,
    settings: AbuseSettings,
    detectors: tuple[Detector, ...] = ALL_DETECTORS,
) -> list[AbuseFinding]:
    """Every detector's finding for ``snap`` (at most one each)."""
    ctx = Context.for_key(settings, snap.key, snap.obs.anonymous)
    out = []
    for detector in detectors:
        finding = detector(snap, ctx)
        if finding is not None:
            out.append(finding)
    return out


__all__ = [
    "ALL_DETECTORS",
    "API_ENUMERATION",
    "COST_HARVESTING",
    "DETECTORS",
    "EMBEDDING_HARVESTING",
    "MODEL_EXTRACTION",
    "SYSTEM_PROMPT_PROBING",
    "TAXONOMY",
    "AbuseFinding",
    "Context",
    "Detector",
    "Volume",
    "api_enumeration",
    "cost_harvesting",
    "embedding_harvesting",
    "model_extraction",
    "run_detectors",
    "system_prompt_probing",
    "volume",
]
