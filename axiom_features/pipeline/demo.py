"""The demo: synthetic bars → gate → TA-Lib features → Feast → online and training reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from axiom_features.feature_store import open_store
from axiom_features.ingest import ImportResult
from axiom_features.lakes.fundamentals import FundamentalsLake
from axiom_features.lakes.news import NewsLake
from axiom_features.materialize.run_context import MaterializedView
from axiom_features.ops.monitor import MonitorResult, monitor
from axiom_features.paths import RepoPaths
from axiom_features.pipeline import jobs
from axiom_features.pipeline.demo_stream import StreamDemoResult, stream_minute_bars
from axiom_features.pipeline.transform_job import TransformResult
from axiom_features.synthetic.bars import generate_bars, vendor_frame
from axiom_features.synthetic.fundamentals import generate_fundamentals, price_levels_of
from axiom_features.synthetic.minute_bars import generate_minute_bars, sessions_before
from axiom_features.synthetic.news import generate_news
from monitoring.alert_routes import LogRouteConfig
from monitoring.config import load_config
from monitoring.drift_check import DriftCheckConfig, ReferenceConfig
from monitoring.profile_store import ProfileStore
from monitoring.rollups import stored_days

ONLINE_FEATURES = (
    "fundamentals_valuation:f_pe",
    "fundamentals_profitability:f_roe",
    "fundamentals_growth:f_revenue_growth_yoy",
    "ta_overlap:sma_20",
    "ta_momentum:rsi_14",
    "ta_volatility:atr_14",
    "ta_volume:obv",
    "ta_pattern:cdlengulfing",
    "sentiment_trend:sent_decay_10d",
    "sentiment_trend:sent_count_20b",
    "microstructure:ms_cs_spread_21",
    "microstructure:ms_yang_zhang_vol_21",
    "risk:risk_beta_63",
    "risk:risk_var_95_252",
    "regime:regime_vol_code",
    "regime:regime_trend_code",
)


DRIFT_SESSIONS = 20
"""Sessions of the demo's second period, the one that drifts."""
VOLUME_UNIT_CHANGE = 100.0
"""The drift: volume reported in shares where it was in lots."""
BASELINE_SESSIONS = 250
"""The pinned baseline: this many sessions before the drift period."""
DRIFT_VIEW = "ta_volume"
"""The view whose features the volume change moves most."""


@dataclass
class DemoResult:
    incoming_file: Path
    imported: ImportResult
    transformed: TransformResult
    views: list[str]
    materialized: list[MaterializedView]
    materialize_run_id: str
    online: pd.DataFrame
    training_shape: tuple[int, int]
    training_range: tuple[pd.Timestamp, pd.Timestamp]
    training_non_null_share: float
    monitoring: MonitorResult | None = None
    """The check after the injected fault."""
    drift_feature_view: str | None = None
    clean_monitoring: MonitorResult | None = None
    """The check of the clean period's last sessions, before the fault."""
    stream: StreamDemoResult | None = None
    """The minute bars of the last sessions, streamed to online features."""


def write_incoming_csv(bars: pd.DataFrame, path: Path) -> Path:
    """Write bars as a vendor-style CSV (Date, Open, …, Ticker) with three faulty rows added.

    The faults show the gate at work: a bar whose high is below its low, an exact duplicate
    row and a missing close. They are appended after the clean rows.
    """
    vendor = vendor_frame(bars)
    last = vendor.groupby("Ticker").tail(1)
    bad_range = last.iloc[[0]].copy()
    bad_range[["High", "Low"]] = bad_range[["Low", "High"]].to_numpy() * [0.9, 1.1]
    bad_range["Date"] = pd.Timestamp("2001-01-02T21:00:00Z").strftime("%Y-%m-%dT%H:%M:%SZ")
    duplicate = vendor.iloc[[len(vendor) // 2]]
    missing_close = last.iloc[[1]].copy()
    missing_close["Close"] = float("nan")
    missing_close["Date"] = pd.Timestamp("2001-01-03T21:00:00Z").strftime("%Y-%m-%dT%H:%M:%SZ")
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.concat([vendor, bad_range, duplicate, missing_close]).to_csv(path, index=False)
    return path


def run_demo(
    root: Path,
    *,
    symbols: int = 20,
    days: int = 504,
    seed: int = 7,
    workers: int = 2,
    now: datetime | None = None,
    drift: bool = True,
    stream_sessions: int = 0,
    stream_rate: float = 500.0,
    on_step: Callable[[str], None] = lambda message: None,
    on_result: Callable[[str, object], None] = lambda step, result: None,
) -> DemoResult:
    """Run the whole path on synthetic data in the repo at ``root`` (embedded default profile).

    With ``drift``, a second period of ``DRIFT_SESSIONS`` sessions follows in which the vendor
    reports volume in shares instead of lots (x100); it is imported, transformed and
    materialized like the first, then ``axiom monitor`` detects and alerts the drift.
    With ``stream_sessions``, the daily bars end before the last ``stream_sessions`` sessions,
    whose minute bars are finally played as a live feed at ``stream_rate`` bars/s through
    the stream consumer into the online store.
    ``on_result(step, result)`` gets each step's result as soon as it is known (``import``,
    ``transform``, ``materialize``, ``online``, ``stream``), so it can be shown at once.
    """
    now = now or datetime.now(UTC)
    paths = RepoPaths(root)
    streamed = sessions_before(pd.Timestamp(now), stream_sessions) if stream_sessions else None
    daily_end = streamed["open"].iloc[0].to_pydatetime() if streamed is not None else now
    on_step(f"generating {symbols} symbols x {days} sessions of synthetic bars (seed {seed})")
    extra = DRIFT_SESSIONS if drift else 0
    all_bars = generate_bars(symbols, days + extra, seed=seed, end=daily_end)
    sessions = all_bars["event_timestamp"].drop_duplicates().sort_values()
    cutoff = sessions.iloc[days - 1]
    bars = all_bars[all_bars["event_timestamp"] <= cutoff].reset_index(drop=True)
    first_end = cutoff.to_pydatetime() if drift else now
    incoming = write_incoming_csv(bars, paths.data / "incoming" / "demo_bars.csv")
    on_step(f"importing {incoming} through the quality gate")
    imported = jobs.ingest_files(root, [incoming], source="synthetic")
    on_result("import", imported)
    sessions = pd.DatetimeIndex(bars["event_timestamp"].drop_duplicates().sort_values())
    news = generate_news(sorted(bars["symbol"].unique()), sessions, seed=seed, bars=bars)
    on_step(f"storing {len(news):,} synthetic headlines in the news lake")
    NewsLake(paths).upsert(news)
    filings = generate_fundamentals(
        sorted(bars["symbol"].unique()),
        start=sessions[0] - timedelta(days=550),
        end=now,
        seed=seed,
        price_levels=price_levels_of(bars),
    )
    on_step(f"storing {len(filings):,} synthetic quarterly filings in the fundamentals lake")
    FundamentalsLake(paths).upsert(filings)
    on_step(f"computing technical features with TA-Lib ({workers} processes)")
    transformed = jobs.transform(root, workers=workers)
    on_result("transform", transformed)
    on_step("registering feature_repo/ in the Feast registry (feast apply)")
    views = jobs.apply(root)

    start = bars["event_timestamp"].min().to_pydatetime() - timedelta(days=1)
    on_step(f"materializing {start:%Y-%m-%d} .. {now:%Y-%m-%d %H:%M} online, with whylogs profiles")
    materialized = jobs.materialize(root, start, first_end)
    on_result("materialize", materialized)
    monitoring = clean_monitoring = None
    if drift:
        clean_monitoring, monitoring = run_drift_period(
            root, all_bars[all_bars["event_timestamp"] > cutoff], first_end, now, on_step, seed
        )

    on_step("reading back: get_online_features and get_historical_features")
    store = open_store(root)
    names = sorted(bars["symbol"].unique())[:2]
    online = pd.DataFrame(
        store.get_online_features(
            features=list(ONLINE_FEATURES), entity_rows=[{"symbol": s} for s in names]
        ).to_dict()
    )
    on_result("online", online)

    last_sessions = bars["event_timestamp"].drop_duplicates().sort_values().iloc[-60:]
    entity_df = pd.DataFrame(
        [(s, t) for s in bars["symbol"].unique() for t in last_sessions],
        columns=["symbol", "event_timestamp"],
    )
    training = store.get_historical_features(
        entity_df=entity_df, features=store.get_feature_service("all_features")
    ).to_df()
    feature_cols = [c for c in training.columns if c not in ("symbol", "event_timestamp")]
    stream = None
    if streamed is not None:
        newest = all_bars.sort_values("event_timestamp").groupby("symbol").tail(1)
        minute_bars = generate_minute_bars(newest, streamed, seed=seed, source="synthetic")
        first, last = streamed.index[0], streamed.index[-1]
        on_step(f"live: {len(streamed)} sessions of minute bars ({first:%Y-%m-%d} .. "
                f"{last:%Y-%m-%d}) through the stream into online features")  # fmt: skip
        stream = stream_minute_bars(root, minute_bars, rate=stream_rate, on_step=on_step)
        on_result("stream", stream)
    return DemoResult(
        incoming_file=incoming,
        imported=imported,
        transformed=transformed,
        views=views,
        materialized=materialized.views,
        materialize_run_id=materialized.run_id,
        online=online,
        training_shape=training.shape,
        training_range=(training["event_timestamp"].min(), training["event_timestamp"].max()),
        training_non_null_share=float(training[feature_cols].notna().to_numpy().mean()),
        monitoring=monitoring,
        drift_feature_view=DRIFT_VIEW if drift else None,
        clean_monitoring=clean_monitoring,
        stream=stream,
    )


def run_drift_period(
    root: Path,
    bars: pd.DataFrame,
    start: datetime,
    now: datetime,
    on_step: Callable[[str], None],
    seed: int = 7,
) -> tuple[MonitorResult, MonitorResult]:
    """Monitor the first period's last sessions, then import ``bars`` with volume x100,
    transform, materialize and monitor again, both checks against one pinned baseline.

    Both checks use the calibrated method: the baseline cut into chunks as long as the
    checked window is each feature's normal variation, so the clean check raises no
    critical incident and the second one raises one, naming ``volume``. Returns the two
    monitoring results (clean, after the fault).
    """
    n = bars["event_timestamp"].nunique()
    days = stored_days(ProfileStore(RepoPaths(root).profiles), DRIFT_VIEW)
    before = days[-(n + BASELINE_SESSIONS) : -n]
    config = load_config(root)
    config.drift_check = DriftCheckConfig(
        current_days=n,
        reference=ReferenceConfig(kind="baseline", start=before[0], end=before[-1]),
        method=config.drift_check.method,
    )
    # The terminal shows critical incidents only; every alert still reaches the JSONL route.
    config.alerts.routes = [
        LogRouteConfig(min_severity="critical") if isinstance(r, LogRouteConfig) else r
        for r in config.alerts.routes
    ]
    on_step(f"monitoring the last {n} sessions against the baseline {before[0]}..{before[-1]}")
    clean = monitor(root, now=start, config=config)
    on_step(f"second period: {n} sessions in which the vendor reports volume in shares (x100)")
    shifted = bars.assign(volume=bars["volume"] * VOLUME_UNIT_CHANGE)
    jobs.ingest_frame(root, shifted, source="synthetic", origin="<demo drift period>")
    sessions = pd.DatetimeIndex(bars["event_timestamp"].drop_duplicates().sort_values())
    news = generate_news(sorted(bars["symbol"].unique()), sessions, seed=seed, bars=bars)
    NewsLake(RepoPaths(root)).upsert(news)  # the news feed keeps running: only volume breaks
    jobs.transform(root, workers=2)
    jobs.materialize(root, start, now)
    on_step(f"monitoring the {n} new sessions against the same baseline; new incidents alerted")
    return clean, monitor(root, now=now, config=config)
