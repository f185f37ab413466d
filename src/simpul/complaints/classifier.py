"""The routing suggestion: which agency and category a complaint's text points to, learned from
the region's own routed complaints (decision 0056). The desk always decides.

Indonesian text is lowercased, stripped of non-letters and stop words and stemmed (PySastrawi);
a TF-IDF of word unigrams and bigrams feeds two multinomial logistic regressions (agency,
category), whose probabilities are the confidence shown. Models live in this process's memory
only, per region, keyed by a fingerprint of the history; nothing is ever unpickled.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Final

from sqlalchemy.orm import Session

from simpul.complaints import triage_repository
from simpul.complaints.models import Complaint
from simpul.core.models import Region

if TYPE_CHECKING:  # imported where a model is trained or used: every process loads this
    # module, few of them train (scikit-learn and NumPy take seconds to import)
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

log = logging.getLogger(__name__)

#: Below this many routed complaints the region's history teaches nothing reliable.
MIN_HISTORY: Final = 30
#: Train on the newest complaints only: bounded time, and recent routing habits count most.
MAX_HISTORY: Final = 5000
#: Below this agency probability no suggestion is shown ("Belum ada saran").
CONFIDENCE_FLOOR: Final = 0.4

_NON_LETTERS = re.compile(r"[^a-z]+")


@dataclass(frozen=True)
class Suggestion:
    """Where the text points. ``category_id`` is None when the category is too unsure."""

    agency_id: uuid.UUID
    category_id: uuid.UUID | None
    agency_confidence: float
    category_confidence: float


# -- text -----------------------------------------------------------------------------------


@cache
def _stemmer() -> object:
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer()


@cache
def _stop_words() -> frozenset[str]:
    from Sastrawi.StopWordRemover.StopWordRemoverFactory import StopWordRemoverFactory

    return frozenset(StopWordRemoverFactory().get_stop_words())


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    # Sastrawi takes milliseconds a word; a city's complaints reuse a few thousand words.
    stemmed: str = _stemmer().stem(word)  # type: ignore[attr-defined]
    return stemmed


def tokens(text: str) -> list[str]:
    """The stemmed content words of ``text``."""
    stop = _stop_words()
    words = _NON_LETTERS.sub(" ", text.lower()).split()
    stems = (_stem(w) for w in words if w not in stop and len(w) > 1)
    return [s for s in stems if s and s not in stop]


def prepare(title: str, description: str) -> str:
    return " ".join(tokens(f"{title} {description}"))


# -- the model ------------------------------------------------------------------------------


@dataclass
class _Head:
    """One decision (agency or category): a classifier, or the only class ever seen."""

    model: LogisticRegression | None
    only: uuid.UUID | None = None

    def probabilities(self, matrix: object) -> tuple[list[uuid.UUID], np.ndarray]:
        import numpy as np

        if self.model is None:
            assert self.only is not None
            rows = matrix.shape[0]  # type: ignore[attr-defined]
            return [self.only], np.ones((rows, 1))
        classes = [uuid.UUID(str(c)) for c in self.model.classes_]
        return classes, self.model.predict_proba(matrix)


@dataclass
class Model:
    vectorizer: TfidfVectorizer
    agency: _Head
    category: _Head
    trained_on: int
    seconds: float = 0.0


def _head(features: object, labels: list[uuid.UUID], seed: int) -> _Head:
    from sklearn.linear_model import LogisticRegression

    if len(set(labels)) < 2:
        return _Head(None, labels[0])
    # lbfgs on several classes is the multinomial model (softmax): probabilities that sum to
    # one over the agencies, usable as the confidence shown. Balanced weights keep a small
    # agency from being drowned by the big ones.
    model = LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced", random_state=seed)
    model.fit(features, [str(label) for label in labels])
    return _Head(model)


def train(cases: list[triage_repository.RoutedCase], *, seed: int = 17) -> Model:
    """Fit the vectorizer and both heads on ``cases``."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    started = time.perf_counter()
    texts = [prepare(c.title, c.description) for c in cases]
    vectorizer = TfidfVectorizer(
        ngram_range=(1, 2),
        sublinear_tf=True,
        lowercase=False,
        tokenizer=str.split,  # already words: keep one-letter-free stems as they are
        token_pattern=None,
    )
    features = vectorizer.fit_transform(texts)
    model = Model(
        vectorizer,
        _head(features, [c.agency_id for c in cases], seed),
        _head(features, [c.category_id for c in cases], seed),
        trained_on=len(cases),
    )
    model.seconds = time.perf_counter() - started
    return model


def _ranked(head: _Head, matrix: object) -> list[list[tuple[uuid.UUID, float]]]:
    classes, probabilities = head.probabilities(matrix)
    return [
        sorted(zip(classes, (float(p) for p in row), strict=True), key=lambda x: -x[1])
        for row in probabilities
    ]


def predict(model: Model, title: str, description: str) -> Suggestion | None:
    """The suggestion for one text, or None when the agency is too unsure."""
    matrix = model.vectorizer.transform([prepare(title, description)])
    if matrix.nnz == 0:  # no known word: the probabilities would only echo the class sizes
        return None
    agency_id, agency_p = _ranked(model.agency, matrix)[0][0]
    category_id, category_p = _ranked(model.category, matrix)[0][0]
    if agency_p < CONFIDENCE_FLOOR:
        return None
    return Suggestion(
        agency_id=agency_id,
        category_id=category_id if category_p >= CONFIDENCE_FLOOR else None,
        agency_confidence=round(agency_p, 4),
        category_confidence=round(category_p, 4),
    )


# -- the per-process cache ------------------------------------------------------------------

#: Up to this many routed complaints a training takes about a second (measured): done in the
#: request that needs it. Larger histories train in a background thread meanwhile the previous
#: model (or none: "Belum ada saran") answers.
SYNC_TRAINING_MAX: Final = 1000
#: A model this few routings behind the history, and this young, is still good enough: the
#: desk routes all day, and one routing more changes little.
STALE_ROUTINGS: Final = 20
STALE_SECONDS: Final = 15 * 60

_Fingerprint = tuple[int, datetime | None]


@dataclass
class _Cached:
    fingerprint: _Fingerprint
    model: Model | None
    at: float


_lock = threading.Lock()
_models: dict[uuid.UUID, _Cached] = {}
_training: set[uuid.UUID] = set()
#: Set when the region's training under way ends (a desk that must wait for it waits here).
_trained: dict[uuid.UUID, threading.Event] = {}
#: How long a desk's request waits for a training another request started.
TRAINING_WAIT_SECONDS: Final = 60.0


def _fresh_enough(cached: _Cached | None, fingerprint: _Fingerprint) -> bool:
    if cached is None:
        return False
    if cached.fingerprint == fingerprint:
        return True
    return (
        cached.model is not None
        and abs(fingerprint[0] - cached.fingerprint[0]) < STALE_ROUTINGS
        and time.monotonic() - cached.at < STALE_SECONDS
    )


def _fit(
    region_id: uuid.UUID,
    slug: str,
    fingerprint: _Fingerprint,
    cases: list[triage_repository.RoutedCase],
) -> Model | None:
    model = None
    if len(cases) >= MIN_HISTORY and len({c.agency_id for c in cases}) >= 2:
        model = train(cases)
        log.info(
            "routing model trained for region %s on %d complaints in %.2f s",
            slug,
            model.trained_on,
            model.seconds,
        )
    with _lock:
        _models[region_id] = _Cached(fingerprint, model, time.monotonic())
        _end_training(region_id)
    return model


def _fit_in_background(
    region_id: uuid.UUID,
    slug: str,
    fingerprint: _Fingerprint,
    cases: list[triage_repository.RoutedCase],
) -> None:
    try:
        _fit(region_id, slug, fingerprint, cases)
    except Exception:  # a failed training costs only the hint; the next request tries again
        log.exception("routing model training failed in region %s", slug)
        with _lock:
            _end_training(region_id)


def _end_training(region_id: uuid.UUID) -> None:
    """Under ``_lock``: the region's training ended (trained or failed)."""
    _training.discard(region_id)
    done = _trained.pop(region_id, None)
    if done is not None:
        done.set()


def model_for(session: Session, region: Region, *, wait: bool = True) -> Model | None:
    """The region's model, trained again when its routed history changed; None when the
    history is too small or names fewer than two agencies.

    ``wait=False`` (a citizen's filing): never train in the request; a stale or missing
    model is trained in a background thread and the cached one (or None) is answered."""
    fingerprint = triage_repository.history_fingerprint(session, region.id)
    with _lock:
        cached = _models.get(region.id)
        running = _trained.get(region.id) if region.id in _training else None
        if _fresh_enough(cached, fingerprint) or (running is not None and not wait):
            return cached.model if cached is not None else None
        if running is None:
            _training.add(region.id)
            _trained[region.id] = threading.Event()
    if running is not None:  # another request trains it: a desk waits for that model
        running.wait(TRAINING_WAIT_SECONDS)
        with _lock:
            cached = _models.get(region.id)
        return cached.model if cached is not None else None
    try:
        # Plain rows: the training thread never touches the request's session.
        cases = triage_repository.routed_cases(session, region.id, MAX_HISTORY)
    except BaseException:
        with _lock:
            _end_training(region.id)
        raise
    if wait and len(cases) <= SYNC_TRAINING_MAX:
        try:
            return _fit(region.id, region.slug, fingerprint, cases)
        finally:
            with _lock:
                _end_training(region.id)
    threading.Thread(
        target=_fit_in_background,
        args=(region.id, region.slug, fingerprint, cases),
        name=f"routing-model-{region.slug}",
        daemon=True,
    ).start()
    return cached.model if cached is not None else None


def forget_models() -> None:
    """Drop every cached model (tests; a region's history rewritten)."""
    with _lock:
        _models.clear()
        for region_id in list(_training):
            _end_training(region_id)


def suggest(session: Session, region: Region, text: str, *, wait: bool = True) -> Suggestion | None:
    """Where a complaint with this text should go, or None ("Belum ada saran")."""
    model = model_for(session, region, wait=wait)
    if model is None or not text.strip():
        return None
    return predict(model, "", text)


def suggest_for(
    session: Session, region: Region, complaint: Complaint, *, wait: bool = True
) -> Suggestion | None:
    """Compute the suggestion for a complaint and keep it on the complaint for the desk.

    Filed about an application, the agency is known: that agency, with full confidence."""
    if complaint.application_id is not None and complaint.suggested_agency_id is not None:
        complaint.suggestion_confidence = 1.0
        return None
    suggestion = suggest(session, region, f"{complaint.title}\n{complaint.description}", wait=wait)
    if suggestion is not None:
        complaint.suggested_agency_id = suggestion.agency_id
        complaint.suggested_category_id = suggestion.category_id
        complaint.suggestion_confidence = suggestion.agency_confidence
    return suggestion


def suggest_at_filing(session: Session, region: Region, complaint: Complaint) -> None:
    """The filing hook: a failing classifier never stops a filing (the columns stay empty),
    and the citizen never waits for a model to be trained (``wait=False``): without a
    trained model the desk's first look fills the suggestion in (``suggest_if_missing``)."""
    _suggest_quietly(session, region, complaint, wait=False)


def suggest_if_missing(session: Session, region: Region, complaint: Complaint) -> None:
    """The desk opens a complaint not yet routed that has no suggestion (filed while the
    region's model was being trained): compute it now, training the model if needed."""
    if complaint.agency_id is None and complaint.suggestion_confidence is None:
        _suggest_quietly(session, region, complaint, wait=True)


def _suggest_quietly(session: Session, region: Region, complaint: Complaint, *, wait: bool) -> None:
    try:
        with session.begin_nested():
            suggest_for(session, region, complaint, wait=wait)
    except Exception:  # any failure here only costs the desk a hint
        # No text, no number: the complaint may hold personal data.
        log.exception("routing suggestion failed in region %s", region.slug)


# -- evaluation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AgencyScore:
    agency_id: uuid.UUID
    name: str
    precision: float
    recall: float
    support: int


@dataclass
class Report:
    """How well the suggestion would have done on the newest part of the history."""

    train_size: int
    test_size: int
    agency_accuracy: float = 0.0
    agency_top2: float = 0.0
    agency_baseline: float = 0.0
    category_accuracy: float = 0.0
    category_top2: float = 0.0
    category_baseline: float = 0.0
    #: Test complaints the floor would leave without a suggestion, and the accuracy on the rest.
    below_floor: int = 0
    accuracy_above_floor: float = 0.0
    per_agency: list[AgencyScore] = field(default_factory=list)
    train_seconds: float = 0.0
    predict_ms_per_complaint: float = 0.0


def split_by_time(
    cases: list[triage_repository.RoutedCase], test_fraction: float, seed: int
) -> tuple[list[triage_repository.RoutedCase], list[triage_repository.RoutedCase]]:
    """Stratified by agency, honest in time: each agency's newest ``test_fraction`` is held out
    and the model learns from what came before (``seed`` only breaks ties of equal times)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    by_agency: dict[uuid.UUID, list[triage_repository.RoutedCase]] = defaultdict(list)
    for case in cases:
        by_agency[case.agency_id].append(case)
    train_part: list[triage_repository.RoutedCase] = []
    test_part: list[triage_repository.RoutedCase] = []
    for group in by_agency.values():
        keys = rng.random(len(group))
        ordered = [
            c
            for _k, c in sorted(zip(keys, group, strict=True), key=lambda x: (x[1].filed_at, x[0]))
        ]
        held = round(len(ordered) * test_fraction) if len(ordered) > 1 else 0
        train_part.extend(ordered[: len(ordered) - held])
        test_part.extend(ordered[len(ordered) - held :])
    train_part.sort(key=lambda c: c.filed_at)
    test_part.sort(key=lambda c: c.filed_at)
    return train_part, test_part


def _share(hits: int, total: int) -> float:
    return hits / total if total else 0.0


def evaluate(
    session: Session, region: Region, *, test_fraction: float = 0.2, seed: int = 17
) -> Report:
    """Train on the older part of the region's routed history, score on the newest part."""
    cases = triage_repository.routed_cases(session, region.id, MAX_HISTORY)
    train_part, test_part = split_by_time(cases, test_fraction, seed)
    report = Report(train_size=len(train_part), test_size=len(test_part))
    if not test_part or len({c.agency_id for c in train_part}) < 2:
        return report
    model = train(train_part, seed=seed)
    report.train_seconds = model.seconds
    started = time.perf_counter()
    matrix = model.vectorizer.transform([prepare(c.title, c.description) for c in test_part])
    agencies = _ranked(model.agency, matrix)
    categories = _ranked(model.category, matrix)
    report.predict_ms_per_complaint = (time.perf_counter() - started) * 1000 / len(test_part)
    n = len(test_part)
    agency_hits = [a[0][0] == c.agency_id for a, c in zip(agencies, test_part, strict=True)]
    report.agency_accuracy = _share(sum(agency_hits), n)
    report.agency_top2 = _share(
        sum(
            c.agency_id in {x for x, _p in a[:2]} for a, c in zip(agencies, test_part, strict=True)
        ),
        n,
    )
    report.category_accuracy = _share(
        sum(k[0][0] == c.category_id for k, c in zip(categories, test_part, strict=True)), n
    )
    report.category_top2 = _share(
        sum(
            c.category_id in {x for x, _p in k[:2]}
            for k, c in zip(categories, test_part, strict=True)
        ),
        n,
    )
    # The baseline: always answer what the training history answered most.
    majority_agency = Counter(c.agency_id for c in train_part).most_common(1)[0][0]
    majority_category = Counter(c.category_id for c in train_part).most_common(1)[0][0]
    report.agency_baseline = _share(sum(c.agency_id == majority_agency for c in test_part), n)
    report.category_baseline = _share(sum(c.category_id == majority_category for c in test_part), n)
    confident = [
        hit
        for a, hit, row in zip(agencies, agency_hits, matrix, strict=True)
        if a[0][1] >= CONFIDENCE_FLOOR and row.nnz > 0
    ]
    report.below_floor = n - len(confident)
    report.accuracy_above_floor = _share(sum(confident), len(confident))
    names = triage_repository.agency_names(session, region.id)
    predicted = [a[0][0] for a in agencies]
    for agency_id in sorted({c.agency_id for c in test_part}, key=lambda i: names.get(i, "")):
        true_positive = sum(
            p == agency_id and c.agency_id == agency_id
            for p, c in zip(predicted, test_part, strict=True)
        )
        report.per_agency.append(
            AgencyScore(
                agency_id=agency_id,
                name=names.get(agency_id, str(agency_id)),
                precision=_share(true_positive, predicted.count(agency_id)),
                recall=_share(true_positive, sum(c.agency_id == agency_id for c in test_part)),
                support=sum(c.agency_id == agency_id for c in test_part),
            )
        )
    return report
